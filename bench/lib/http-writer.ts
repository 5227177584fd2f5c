import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nowMicros, sleep } from './clock.js';
import { Histogram, type HistogramData } from './histogram.js';
import { HttpLoad } from './http-load.js';

/**
 * Open-loop HTTP writes in a process of their own (scenario 3's Platform API writes): the
 * orchestrator relays worker reports every few ms and would add its own pauses to the latency.
 * Each request is timed from the moment it is written.
 */
export interface WritePlan {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** One JSON body per request, in turn; `$STAMP` is replaced by the send time (µs). */
  readonly bodies: readonly string[];
  readonly rate: number;
  readonly durationMs: number;
  /** Keep-alive connections opened before the first request. */
  readonly connections: number;
}

export interface WriteResult {
  readonly sent: number;
  readonly errors: number;
  /** Connections opened mid-run because every prepared one was busy. */
  readonly extraConnections: number;
  readonly latency: HistogramData;
}

const SELF = fileURLToPath(import.meta.url);
const STAMP = '$STAMP';

/** Runs `plan` in a forked process and resolves with its figures. */
export function runWriter(plan: WritePlan): Promise<WriteResult> {
  return new Promise((resolve, reject) => {
    const child = fork(SELF, ['--http-writer'], { stdio: 'inherit' });
    child.once('error', reject);
    child.once('message', (result: WriteResult | { error: string }) => {
      child.disconnect();
      if ('error' in result) reject(new Error(`http writer: ${result.error}`));
      else resolve(result);
    });
    child.once('exit', (code) => reject(new Error(`http writer exited (${code})`)));
    child.send(plan);
  });
}

async function run(plan: WritePlan): Promise<WriteResult> {
  const load = new HttpLoad({ host: plan.host, port: plan.port });
  await load.open(plan.connections);
  const head =
    `POST ${plan.path} HTTP/1.1\r\nHost: ${plan.host}:${plan.port}\r\n` +
    Object.entries(plan.headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
  const latency = new Histogram();
  let sent = 0;
  let answered = 0;
  let errors = 0;
  const post = (template: string): void => {
    const stamp = nowMicros();
    const body = template.replace(STAMP, String(Math.round(stamp)));
    load.send(`${head}content-length: ${body.length}\r\n\r\n${body}`, (status) => {
      answered++;
      if (status < 200 || status >= 300) errors++;
      latency.record(nowMicros() - stamp);
    });
  };
  const start = performance.now();
  while (performance.now() - start < plan.durationMs) {
    const due = Math.floor(((performance.now() - start) / 1000) * plan.rate);
    while (sent < due) post(plan.bodies[sent++ % plan.bodies.length]!);
    await sleep(1);
  }
  const deadline = performance.now() + 10_000;
  while (answered < sent && performance.now() < deadline) await sleep(10);
  load.close();
  return {
    sent,
    errors: errors + (sent - answered),
    extraConnections: load.extraConnections,
    latency: latency.toData(),
  };
}

if (process.argv.includes('--http-writer')) {
  process.once('message', (plan: WritePlan) => {
    run(plan).then(
      (result) => process.send?.(result),
      (err: Error) => process.send?.({ error: err.message }),
    );
  });
}
