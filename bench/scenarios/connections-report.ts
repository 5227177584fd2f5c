import { int, ms, table } from '../lib/format.js';
import { type ConnectionsResult, SINGLE_PROCESS_MAX } from './connections.js';

const kib = (bytes: number | undefined): string => (bytes === undefined ? 'n/a' : (bytes / 1024).toFixed(1));
const mib = (bytes: number | undefined): string =>
  bytes === undefined ? 'n/a' : `${int(bytes / 2 ** 20)} MiB`;

function row(r: ConnectionsResult): string[] {
  return [
    r.broker,
    r.auth,
    int(r.target),
    r.connected === undefined
      ? `error: ${r.error}`
      : `${int(r.connected)}${r.error === undefined ? '' : ` (${r.error})`}`,
    r.connectPerSec === undefined ? 'n/a' : int(r.connectPerSec),
    r.connectLatency === undefined ? 'n/a' : `${ms(r.connectLatency.p50)} / ${ms(r.connectLatency.p99)}`,
    kib(r.rssPerConnection),
    kib(r.mainRssPerConnection),
    kib(r.heapPerConnection),
    `${mib(r.rssAfterBytes)} / ${mib(r.mainRssAfterBytes)}`,
    r.connectCpu === undefined
      ? 'n/a'
      : `${Math.round(r.connectCpu.tree)} / ${Math.round(r.connectCpu.main)} / ${Math.round(r.generatorCpu ?? 0)}`,
    r.loopDelayMs === undefined ? 'n/a' : `${r.loopDelayMs.p99.toFixed(1)} / ${r.loopDelayMs.max.toFixed(1)}`,
    r.pingRtt === undefined ? 'n/a' : `${ms(r.pingRtt.p50)} / ${ms(r.pingRtt.p99)}`,
  ];
}

/** Scenario 4 as Markdown. */
export function connectionsReport(results: readonly ConnectionsResult[]): string {
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
        'RSS KiB/conn (all processes)',
        'main RSS KiB/conn',
        'main heap KiB/conn',
        'RSS total / main',
        'CPU % during connect: broker / main / generators',
        'main loop delay p99 / max ms',
        'PINGREQ RTT p50 / p99 ms',
      ],
      results.map(row),
    ),
    '',
    `One process holds at most ~19,900 connections here (20,000 open files per process), so`,
    `mosquitto, aedes and devgate without socket workers run up to ${int(SINGLE_PROCESS_MAX)} only;`,
    'above that devgate start runs with `--socket-workers W` (W = n ÷ 18,000, rounded up), whose',
    'child processes hold the sockets. RSS per connection is the growth of the broker and all its',
    'child processes; "main" is the broker\'s main process alone (where MQTT runs). Heap and loop',
    "delay are the main process's (loop-probe; socket workers are not probed), heap after a full GC.",
  ].join('\n');
}
