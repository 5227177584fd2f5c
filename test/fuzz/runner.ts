/** The fuzz loop: many concurrent connections replay mutated sessions until the packet budget is spent. */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { buildCase, type FuzzCase } from './cases.js';
import { malformedOutput } from './output-check.js';
import { errorLogLines, type FuzzTargets, rssKiB, type ServerKind, type ServerProcess } from './target.js';
import { openStream, type RawStream } from './transport.js';

/** How long a closed (FIN) connection may take to be closed by the server before we drop it. */
const CLOSE_WAIT_MS = 2000;
const LINGER_MS = 150;
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
  readonly accepted: Record<ServerKind, number>;
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

function waitOrTimeout(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

interface Stats {
  /** Connections that got a successful CONNACK, per server: proof the fuzz gets past the login. */
  accepted: Record<ServerKind, number>;
  /** Server frames mqtt-packet could not decode (first few): encoder bugs. */
  malformed: string[];
  slowCloses: number;
  stuckWrites: number;
  openErrors: number;
}

/** Sends one case's chunks and closes the connection the way the case says. */
async function playCase(fuzzCase: FuzzCase, server: ServerProcess, stats: Stats) {
  const port = fuzzCase.transport === 'tcp' ? server.mqttPort : server.httpPort;
  const stream: RawStream = await openStream(fuzzCase.transport, port);
  for (const chunk of fuzzCase.chunks) {
    if (stream.isClosed()) break;
    // A server that stopped reading (its pending-packet bound) never drains our writes.
    if (!(await waitOrTimeout(stream.write(chunk), WRITE_WAIT_MS))) {
      stats.stuckWrites += 1;
      stream.destroy();
      return;
    }
    if (fuzzCase.chunks.length > 1) await yieldToLoop();
  }
  if (fuzzCase.ending === 'destroy') {
    stream.destroy();
  } else {
    if (fuzzCase.ending === 'linger') await waitOrTimeout(stream.closed, LINGER_MS);
    stream.end();
    if (!(await waitOrTimeout(stream.closed, CLOSE_WAIT_MS))) {
      stats.slowCloses += 1;
      stream.destroy();
    }
  }
  const received = stream.received();
  if (acceptedLogin(received)) stats.accepted[fuzzCase.server] += 1;
  const bad = malformedOutput(received, fuzzCase.version);
  if (bad !== undefined && stats.malformed.length < MALFORMED_KEPT)
    stats.malformed.push(
      `case ${fuzzCase.index} (${fuzzCase.server} v${fuzzCase.version}): ${bad.slice(0, 200)}`,
    );
}

/** The server's first packet is a CONNACK with return/reason code 0 (3.1.1 and 5 share the layout). */
function acceptedLogin(received: Buffer): boolean {
  return received[0] === 0x20 && received.length >= 4 && received[3] === 0;
}

function serverOf(targets: FuzzTargets, kind: ServerKind): ServerProcess {
  return kind === 'platform' ? targets.platform : targets.broker;
}

/** Runs the fuzz loop; stops early when a server process exits. */
export async function runFuzz(targets: FuzzTargets, options: RunOptions): Promise<RunReport> {
  const started = performance.now();
  const rssBefore = await rssOf(targets);
  const rssPeak: Rss = { ...rssBefore };
  const sampler = setInterval(() => {
    void rssOf(targets).then((now) => {
      for (const kind of ['platform', 'broker'] as const)
        rssPeak[kind] = Math.max(rssPeak[kind] ?? 0, now[kind] ?? 0);
    });
  }, RSS_SAMPLE_MS);
  const stats: Stats = {
    accepted: { platform: 0, broker: 0 },
    malformed: [],
    slowCloses: 0,
    stuckWrites: 0,
    openErrors: 0,
  };
  const inFlight = new Map<number, FuzzCase>();
  const recent: FuzzCase[] = [];
  let crash: Crash | undefined;
  const onExit = (server: ServerProcess) =>
    server.exited.then((why) => {
      crash ??= {
        server: server.kind,
        why,
        suspects: [...inFlight.values(), ...recent.reverse()].filter((c) => c.server === server.kind),
        output: server.output.text,
      };
    });
  void onExit(targets.platform);
  void onExit(targets.broker);

  let nextIndex = 0;
  let cases = 0;
  let packets = 0;
  let bytes = 0;
  const only = options.only;
  const more = (): boolean =>
    crash === undefined && (only === undefined ? packets < options.packets : nextIndex < only.length);
  const worker = async (): Promise<void> => {
    while (more()) {
      const index = only === undefined ? nextIndex : only[nextIndex]!;
      nextIndex += 1;
      const fuzzCase = buildCase(options.seed, index, targets.logins);
      packets += fuzzCase.packets.length;
      bytes += fuzzCase.chunks.reduce((sum, c) => sum + c.length, 0);
      inFlight.set(index, fuzzCase);
      const server = serverOf(targets, fuzzCase.server);
      try {
        await playCase(fuzzCase, server, stats);
      } catch {
        stats.openErrors += 1;
      }
      // Replaying one case at a time: give a dying child time to exit while this case is still open.
      if (only !== undefined)
        await waitOrTimeout(
          server.exited.then(() => undefined),
          REPLAY_EXIT_WAIT_MS,
        );
      // A crash report needs the cases that were open when the child died: give its exit a turn.
      await yieldToLoop();
      inFlight.delete(index);
      recent.push(fuzzCase);
      if (recent.length > RECENT_KEPT) recent.shift();
      cases += 1;
      if (cases % 500 === 0) options.onProgress?.({ cases, packets });
    }
  };
  const workers = only === undefined ? options.connections : 1;
  await Promise.all(Array.from({ length: workers }, () => worker()));
  clearInterval(sampler);
  const rssAfter = await rssOf(targets);
  return {
    seed: options.seed,
    connections: workers,
    cases,
    packets,
    bytes,
    durationMs: Math.round(performance.now() - started),
    rssBefore,
    rssPeak,
    rssAfter,
    ...stats,
    ...(crash === undefined ? {} : { crash }),
    errorLogs: { platform: errorLogLines(targets.platform), broker: errorLogLines(targets.broker) },
  };
}
