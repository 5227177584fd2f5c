/**
 * HTTP connection reaping, measured (decision 0009): connections that start a request and never
 * finish their headers arrive over a few seconds; how long the server's event loop stalls while
 * it closes them, and when the last one is gone. The listener runs in a child process from a
 * built tree (`--build`, default this one), with that build's own timeout settings, so the
 * commit before the change can be measured the same way. Loopback only, bounded in time.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/http-reaping.js [--build DIR] [--connections 5000] [--spread-ms 5000]
 */
import { fork } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** The child: the build's HTTP/WebSocket listener plus an event-loop delay probe. */
const CHILD = `
const { monitorEventLoopDelay } = await import('node:perf_hooks');
const build = process.env.DEVGATE_BENCH_BUILD;
const { listenWebSocket } = await import(build + '/dist/src/mqtt/transport/websocket.js');
const { silentLogger } = await import(build + '/dist/src/observability/logger.js');
const listener = await listenWebSocket({
  host: '127.0.0.1', port: 0, onConnection() {}, logger: silentLogger(), maxPayload: 1024, timeoutMs: 10000,
});
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
process.send({ port: listener.port });
setInterval(() => { process.send({ lagMs: delay.max / 1e6 }); delay.reset(); }, 500).unref();
process.on('message', async () => { await listener.close(); process.exit(0); });
`;

interface Args {
  readonly build: string;
  readonly connections: number;
  readonly spreadMs: number;
  readonly runMs: number;
}

function args(): Args {
  const { values } = parseArgs({
    options: {
      build: { type: 'string', default: resolve(import.meta.dirname, '../..') },
      connections: { type: 'string', default: '5000' },
      'spread-ms': { type: 'string', default: '5000' },
      'run-ms': { type: 'string', default: '45000' },
    },
  });
  return {
    build: resolve(values.build),
    connections: Math.min(9000, Math.max(1, Number(values.connections))),
    spreadMs: Math.max(0, Number(values['spread-ms'])),
    runMs: Math.min(120_000, Math.max(1000, Number(values['run-ms']))),
  };
}

/** Starts the child with the inline module (node -e) and an IPC channel. */
function startChild(build: string) {
  return fork(process.execPath, [], {
    execArgv: ['--input-type=module', '-e', CHILD],
    env: { ...process.env, DEVGATE_BENCH_BUILD: build },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

async function run(): Promise<void> {
  const a = args();
  const child = startChild(a.build);
  const lags: number[] = [];
  const port = await new Promise<number>((done) =>
    child.on('message', (m: { port?: number; lagMs?: number }) => {
      if (m.port !== undefined) done(m.port);
      if (m.lagMs !== undefined) lags.push(m.lagMs);
    }),
  );
  const started = performance.now();
  let open = 0;
  let lastClosedAt = 0;
  const sockets: Socket[] = [];
  const gap = a.spreadMs / a.connections;
  for (let i = 0; i < a.connections; i++) {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    // Read (and drop) what the server sends, a 408 before it closes, so 'close' can fire.
    socket.resume();
    socket.on('connect', () => {
      open++;
      socket.write('GET / HTTP/1.1\r\nHost: bench\r\n');
    });
    socket.on('close', () => {
      lastClosedAt = performance.now() - started;
    });
    sockets.push(socket);
    // Arrivals spread evenly over --spread-ms.
    const wait = started + (i + 1) * gap - performance.now();
    if (wait >= 1) await new Promise((r) => setTimeout(r, wait));
  }
  await new Promise((r) => setTimeout(r, a.runMs));
  const stillOpen = sockets.filter((s) => !s.destroyed).length;
  const lastClosed = lastClosedAt;
  for (const s of sockets) s.destroy();
  child.send('stop');
  await new Promise((r) => child.once('exit', r));
  const max = Math.max(0, ...lags);
  const over100 = lags.filter((lag) => lag > 100).length;
  process.stdout.write(
    `${a.connections} connections (${open} opened) over ${a.spreadMs} ms, headers never finished, run ${a.runMs} ms\n` +
      `  server event-loop lag: max ${max.toFixed(0)} ms; 500 ms windows above 100 ms: ${over100}\n` +
      `  last connection closed after ${(lastClosed / 1000).toFixed(1)} s; still open at the end: ${stillOpen}\n`,
  );
}

await run();
