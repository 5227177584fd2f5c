import { int, ms, table } from '../lib/format.js';
import type { ConnectionsResult } from './connections.js';

const kib = (bytes: number | undefined): string => (bytes === undefined ? 'n/a' : (bytes / 1024).toFixed(1));

/** Scenario 4 as Markdown. */
export function connectionsReport(results: readonly ConnectionsResult[]): string {
  const rows = results.map((r) => [
    r.broker,
    r.auth,
    int(r.target),
    r.connected === undefined
      ? `error: ${r.error}`
      : `${int(r.connected)}${r.error === undefined ? '' : ` (${r.error})`}`,
    r.connectPerSec === undefined ? 'n/a' : int(r.connectPerSec),
    r.connectLatency === undefined ? 'n/a' : `${ms(r.connectLatency.p50)} / ${ms(r.connectLatency.p99)}`,
    kib(r.rssPerConnection),
    kib(r.heapPerConnection),
    r.rssAfterBytes === undefined ? 'n/a' : `${int(r.rssAfterBytes / 2 ** 20)} MiB`,
    r.loopDelayMs === undefined ? 'n/a' : `${r.loopDelayMs.p99.toFixed(1)} / ${r.loopDelayMs.max.toFixed(1)}`,
    r.pingRtt === undefined ? 'n/a' : `${ms(r.pingRtt.p50)} / ${ms(r.pingRtt.p99)}`,
  ]);
  return [
    '### Scenario 4: idle connections (targets: 100k, ≤ 8 KiB RSS each, ≥ 5k CONNECT/s)',
    '',
    table(
      [
        'broker',
        'auth',
        'target',
        'connected',
        'CONNECT/s',
        'CONNACK p50 / p99 ms',
        'RSS KiB/conn',
        'heap KiB/conn',
        'RSS total',
        'loop delay p99 / max ms',
        'PINGREQ RTT p50 / p99 ms',
      ],
      rows,
    ),
  ].join('\n');
}
