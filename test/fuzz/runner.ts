/** The fuzz loop: many concurrent connections replay mutated sessions until the packet budget is spent. */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { buildCase, type FuzzCase } from './cases.js';
import type { LoginKind } from './corpus.js';
import { malformedOutput } from './output-check.js';
import { errorLogLines, type FuzzTargets, rssKiB, type ServerKind, type ServerProcess } from './target.js';
import { openStream, type RawStream } from './transport.js';

/** How long a closed (FIN) connection may take to be closed by the server before we drop it. */
const CLOSE_WAIT_MS = 2000;
const LINGER_MS = 150;
/** Past 1.5 x a keepalive of 1 s, so the server's keepalive deadline fires on some connections. */
const HOLD_MS = 1600;
const WRITE_WAIT_MS = 5000;
const RSS_SAMPLE_MS = 250;
/** Finished cases kept as crash suspects (a child's exit is seen after its sockets close). */
const RECENT_KEPT = 16;
const REPLAY_EXIT_WAIT_MS = 300;
const MALFORMED_KEPT = 10;

export interface RunOptions {
  readonly seed: number;
  /** Stop once this many packets were sent (a case's packets all count). */
  readonly packets: number;
  readonly connections: number;
  /** Replay just these case indexes, one at a time, instead of a budgeted run. */
  readonly only?: readonly number[];
  readonly onProgress?: (report: Progress) => void;
}

export interface Progress {
  readonly cases: number;
  readonly packets: number;
}

type Rss = Record<ServerKind, number | undefined>;

export interface Crash {
  readonly server: ServerKind;
  readonly why: string;
  /** Cases that had a connection open to that server when it died, then the ones just finished. */
  readonly suspects: readonly FuzzCase[];
  readonly output: string;
}

export interface RunReport {
  readonly seed: number;
  readonly connections: number;
  readonly cases: number;
  readonly packets: number;
  readonly bytes: number;
  readonly durationMs: number;
  readonly rssBefore: Rss;
  readonly rssPeak: Rss;
  readonly rssAfter: Rss;
  readonly accepted: Record<LoginKind, number>;
  readonly malformed: readonly string[];
  /** Connections the server did not close within CLOSE_WAIT_MS after our FIN. */
  readonly slowCloses: number;
  /** Connections whose writes the server did not take within WRITE_WAIT_MS (it stopped reading). */
  readonly stuckWrites: number;
  /** Connections that could not be opened (the server refused or reset them). */
  readonly openErrors: number;
  readonly crash?: Crash;
  readonly errorLogs: Record<ServerKind, string[]>;
}

async function rssOf(targets: FuzzTargets): Promise<Rss> {
  return {
    platform: await rssKiB(targets.platform.child.pid),
    broker: await rssKiB(targets.broker.child.pid),
  };
}

/** True if `promise` settled within `ms`, false if the time ran out first. */
export function waitOrTimeout(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

interface Stats {
  /** Connections that got a successful CONNACK, per login kind: proof the fuzz gets past the login. */
  accepted: Record<LoginKind, number>;
  /** Server frames mqtt-packet could not decode (first few): encoder bugs. */
  malformed: string[];
  slowCloses: number;
  stuckWrites: number;
  openErrors: number;
}

/** Writes the chunks; false when the server stopped taking them (the stream is then destroyed). */
async function sendChunks(fuzzCase: FuzzCase, stream: RawStream, stats: Stats): Promise<boolean> {
  for (const chunk of fuzzCase.chunks) {
    if (stream.isClosed()) break;
    // A server that stopped reading (its pending-packet bound) never drains our writes.
    if (!(await waitOrTimeout(stream.write(chunk), WRITE_WAIT_MS))) {
      stats.stuckWrites += 1;
      stream.destroy();
      return false;
    }
    if (fuzzCase.chunks.length > 1) await yieldToLoop();
  }
  return true;
}

async function closeAsCaseSays(fuzzCase: FuzzCase, stream: RawStream, stats: Stats): Promise<void> {
  if (fuzzCase.ending === 'destroy') return stream.destroy();
  if (fuzzCase.ending === 'linger') await waitOrTimeout(stream.closed, LINGER_MS);
  if (fuzzCase.ending === 'hold') await waitOrTimeout(stream.closed, HOLD_MS);
  stream.end();
  if (!(await waitOrTimeout(stream.closed, CLOSE_WAIT_MS))) {
    stats.slowCloses += 1;
    stream.destroy();
  }
}

/** The server's first packet is a CONNACK with return/reason code 0 (3.1.1 and 5 share the layout). */
function acceptedLogin(received: Buffer): boolean {
  return received[0] === 0x20 && received.length >= 4 && received[3] === 0;
}

function checkOutput(fuzzCase: FuzzCase, received: Buffer, stats: Stats): void {
  if (acceptedLogin(received)) stats.accepted[fuzzCase.login] += 1;
  const bad = malformedOutput(received);
  if (bad !== undefined && stats.malformed.length < MALFORMED_KEPT)
    stats.malformed.push(
      `case ${fuzzCase.index} (${fuzzCase.server} v${fuzzCase.version}): ${bad.slice(0, 200)}`,
    );
}

/** Sends one case's chunks, closes the connection the way the case says, checks what came back. */
async function playCase(fuzzCase: FuzzCase, server: ServerProcess, stats: Stats): Promise<void> {
  const port = fuzzCase.transport === 'tcp' ? server.mqttPort : server.httpPort;
  const stream = await openStream(fuzzCase.transport, port);
  if (await sendChunks(fuzzCase, stream, stats)) await closeAsCaseSays(fuzzCase, stream, stats);
  checkOutput(fuzzCase, stream.received(), stats);
}

function serverOf(targets: FuzzTargets, kind: ServerKind): ServerProcess {
  return kind === 'platform' ? targets.platform : targets.broker;
}

/** Samples both children's RSS: the value at start and the peak until stopped. */
class RssSampler {
  readonly peak: Rss;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly targets: FuzzTargets,
    readonly before: Rss,
  ) {
    this.peak = { ...before };
    this.timer = setInterval(() => void rssOf(targets).then((now) => this.record(now)), RSS_SAMPLE_MS);
  }

  private record(now: Rss): void {
    for (const kind of ['platform', 'broker'] as const)
      this.peak[kind] = Math.max(this.peak[kind] ?? 0, now[kind] ?? 0);
  }

  async stop(): Promise<Rss> {
    clearInterval(this.timer);
    const after = await rssOf(this.targets);
    this.record(after);
    return after;
  }
}

/** The state of one run: counters, the cases open now and just finished, and the first crash. */
class FuzzRun {
  readonly stats: Stats = {
    accepted: { anonymous: 0, device: 0, mgmt_device: 0, oauth: 0 },
    malformed: [],
    slowCloses: 0,
    stuckWrites: 0,
    openErrors: 0,
  };
  crash: Crash | undefined;
  cases = 0;
  packets = 0;
  bytes = 0;
  private nextIndex = 0;
  private readonly inFlight = new Map<number, FuzzCase>();
  private readonly recent: FuzzCase[] = [];

  constructor(
    private readonly targets: FuzzTargets,
    private readonly options: RunOptions,
  ) {
    for (const server of [targets.platform, targets.broker])
      void server.exited.then((why) => this.onExit(server, why));
  }

  private onExit(server: ServerProcess, why: string): void {
    const suspects = [...this.inFlight.values(), ...[...this.recent].reverse()];
    this.crash ??= {
      server: server.kind,
      why,
      suspects: suspects.filter((c) => c.server === server.kind),
      output: server.output.text,
    };
  }

  private more(): boolean {
    if (this.crash !== undefined) return false;
    const only = this.options.only;
    return only === undefined ? this.packets < this.options.packets : this.nextIndex < only.length;
  }

  private takeIndex(): number {
    const at = this.nextIndex;
    this.nextIndex += 1;
    return this.options.only === undefined ? at : this.options.only[at]!;
  }

  async worker(): Promise<void> {
    while (this.more()) await this.playOne(this.takeIndex());
  }

  private async playOne(index: number): Promise<void> {
    const fuzzCase = buildCase(this.options.seed, index, this.targets.logins);
    this.packets += fuzzCase.packets.length;
    this.bytes += fuzzCase.chunks.reduce((sum, c) => sum + c.length, 0);
    this.inFlight.set(index, fuzzCase);
    const server = serverOf(this.targets, fuzzCase.server);
    await playCase(fuzzCase, server, this.stats).catch(() => {
      this.stats.openErrors += 1;
    });
    // Replaying one case at a time: give a dying child time to exit while this case is still open.
    if (this.options.only !== undefined)
      await waitOrTimeout(
        server.exited.then(() => undefined),
        REPLAY_EXIT_WAIT_MS,
      );
    // A crash report needs the cases that were open when the child died: give its exit a turn.
    await yieldToLoop();
    this.inFlight.delete(index);
    this.recent.push(fuzzCase);
    if (this.recent.length > RECENT_KEPT) this.recent.shift();
    this.cases += 1;
    if (this.cases % 500 === 0) this.options.onProgress?.({ cases: this.cases, packets: this.packets });
  }
}

/** Runs the fuzz loop; stops early when a server process exits. */
export async function runFuzz(targets: FuzzTargets, options: RunOptions): Promise<RunReport> {
  const started = performance.now();
  const rss = new RssSampler(targets, await rssOf(targets));
  const run = new FuzzRun(targets, options);
  const workers = options.only === undefined ? options.connections : 1;
  await Promise.all(Array.from({ length: workers }, () => run.worker()));
  const rssAfter = await rss.stop();
  return {
    seed: options.seed,
    connections: workers,
    cases: run.cases,
    packets: run.packets,
    bytes: run.bytes,
    durationMs: Math.round(performance.now() - started),
    rssBefore: rss.before,
    rssPeak: rss.peak,
    rssAfter,
    ...run.stats,
    ...(run.crash === undefined ? {} : { crash: run.crash }),
    errorLogs: { platform: errorLogLines(targets.platform), broker: errorLogLines(targets.broker) },
  };
}
