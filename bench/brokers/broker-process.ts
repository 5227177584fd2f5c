import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sleep } from '../lib/clock.js';
import { type ProcSample, sampleTree } from '../lib/proc-stats.js';

/** `devgate-workers`: the plain broker with one socket worker (decision 0006); not run by default. */
export type BrokerName = 'devgate' | 'devgate-workers' | 'mosquitto' | 'aedes';

export interface LoopProbe {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly loopDelayMs: { p50: number; p99: number; max: number; mean: number };
}

/** A broker under test running as a child process on loopback. */
export interface BrokerHandle {
  readonly name: BrokerName;
  /** Label in tables, e.g. `devgate` or `devgate start`. */
  readonly label: string;
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  sample(): ProcSample | undefined;
  /** Event-loop delay and heap (Node brokers only), as last written by loop-probe. */
  probe(): LoopProbe | undefined;
  /** Restarts the event-loop delay histogram. */
  resetProbe(): void;
  stop(): Promise<void>;
}

export const PROBE_MODULE = new URL('./loop-probe.js', import.meta.url).href;

/** Spawns a broker process; its stderr is kept (last lines) for error messages. */
export function spawnBroker(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): ChildProcess {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  Object.defineProperty(child, 'outputTail', { get: () => tail });
  return child;
}

export function outputTail(child: ChildProcess): string {
  return (child as unknown as { outputTail?: string }).outputTail ?? '';
}

/** Waits until `ready()` returns a value, the child exits, or `timeoutMs` passes. */
export async function waitFor<T>(
  child: ChildProcess,
  ready: () => T | undefined,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = ready();
    if (value !== undefined) return value;
    if (child.exitCode !== null) throw new Error(`broker exited (${child.exitCode}): ${outputTail(child)}`);
    await sleep(50);
  }
  throw new Error(`broker not ready after ${timeoutMs} ms: ${outputTail(child)}`);
}

export function readJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined; // being written
  }
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface HandleParts {
  readonly name: BrokerName;
  readonly label: string;
  readonly child: ChildProcess;
  readonly port: number;
  readonly probeFile?: string;
  readonly cleanup?: () => void;
}

export function brokerHandle(parts: HandleParts): BrokerHandle {
  const { child, probeFile } = parts;
  const pid = child.pid!;
  return {
    name: parts.name,
    label: parts.label,
    host: '127.0.0.1',
    port: parts.port,
    pid,
    // The whole process tree: a broker's socket workers work for it.
    sample: () => sampleTree(pid),
    probe: () => (probeFile === undefined ? undefined : readJson<LoopProbe>(probeFile)),
    resetProbe: () => {
      if (probeFile !== undefined) child.kill('SIGUSR2');
    },
    stop: async () => {
      await stopChild(child);
      parts.cleanup?.();
    },
  };
}

export const BENCH_DIST = fileURLToPath(new URL('..', import.meta.url));
