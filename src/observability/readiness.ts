import type { Broker } from '../broker/broker.js';
import type { ClusterStats } from './cluster-collectors.js';

/** One part `/readyz` checks: resolves when it answers, throws (or rejects) saying why not. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void> | void;
  /** False when the part is not in this process (the check is left out of the answer). */
  applies?(): boolean;
}

/** What the operations endpoints need of a running server; `DevgateServer` is one. */
export interface OperatedServer {
  readonly broker: Broker;
  /** Present when the server is one node of a cluster: healthy member, inbox and routes reachable. */
  readonly cluster?: { check(): Promise<void>; stats(): ClusterStats };
}

/** `checks` maps each part to `ok` or why it failed. */
export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, string>>;
}

/** A probe that does not answer within this is a failure (a stuck store must not hang /readyz). */
export const READINESS_TIMEOUT_MS = 2000;
const MAX_REASON_LENGTH = 200;

function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function run(check: ReadinessCheck, timeoutMs: number): Promise<string> {
  try {
    await withTimeout(
      Promise.resolve().then(() => check.check()),
      timeoutMs,
    );
    return 'ok';
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return reason.slice(0, MAX_REASON_LENGTH) || 'failed';
  }
}

/** Runs every check at once; ready when all answered `ok`. */
export async function checkReadiness(
  checks: readonly ReadinessCheck[],
  timeoutMs = READINESS_TIMEOUT_MS,
): Promise<ReadinessReport> {
  const applying = checks.filter((c) => c.applies?.() !== false);
  const results = await Promise.all(applying.map(async (c) => [c.name, await run(c, timeoutMs)] as const));
  return { ready: results.every(([, result]) => result === 'ok'), checks: Object.fromEntries(results) };
}

/**
 * The engine's checks: `listeners` (bound, not shutting down: `server()` is defined once every
 * listener is bound) and `engine-store` (a flush answers; always ok without persistence).
 */
export function serverChecks(server: () => OperatedServer | undefined): ReadinessCheck[] {
  const running = (): Broker => {
    const broker = server()?.broker;
    if (broker === undefined) throw new Error('not listening yet');
    if (broker.isClosing) throw new Error('shutting down');
    return broker;
  };
  return [
    { name: 'listeners', check: () => void running() },
    { name: 'engine-store', check: async () => void (await running().flushEngineStores()) },
    {
      name: 'cluster',
      applies: () => server()?.cluster !== undefined,
      check: () => server()?.cluster?.check(),
    },
  ];
}
