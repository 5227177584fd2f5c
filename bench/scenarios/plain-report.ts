import { int, ms, pct, ratio, table } from '../lib/format.js';
import type { PlainResult } from './plain.js';

function rate(results: readonly PlainResult[], caseId: string, broker: string): number | undefined {
  return results.find((r) => r.case === caseId && r.broker === broker)?.throughput?.deliveredPerSec;
}

/** Scenario 1 as Markdown: throughput with the target ratios, then details and latency. */
export function plainReport(results: readonly PlainResult[]): string {
  const cases = [...new Map(results.map((r) => [r.case, r.name])).entries()];
  const brokers = [...new Set(results.map((r) => r.broker))];
  const summary = table(
    ['case', ...brokers.map((b) => `${b} msg/s`), 'devgate ÷ aedes (≥ 2x)', 'devgate ÷ mosquitto (≥ 0.60x)'],
    cases.map(([id, name]) => [
      name,
      ...brokers.map((b) => {
        const r = results.find((x) => x.case === id && x.broker === b);
        return r?.throughput === undefined
          ? `error: ${r?.error ?? 'not run'}`
          : int(r.throughput.deliveredPerSec);
      }),
      ratio(rate(results, id, 'devgate'), rate(results, id, 'aedes')),
      ratio(rate(results, id, 'devgate'), rate(results, id, 'mosquitto')),
    ]),
  );
  const details = table(
    [
      'case',
      'broker',
      'delivered/s',
      'published/s',
      'broker CPU',
      'generator CPU',
      'p50 / p99 at saturation (ms)',
      'lost',
    ],
    results
      .filter((r) => r.throughput !== undefined)
      .map((r) => {
        const t = r.throughput!;
        return [
          r.name,
          r.broker,
          int(t.deliveredPerSec),
          int(t.publishedPerSec),
          pct(t.brokerCpu),
          pct(t.generatorCpu),
          `${ms(t.latency.p50)} / ${ms(t.latency.p99)}`,
          int(t.lost),
        ];
      }),
  );
  const latency = table(
    ['case', 'broker', 'published/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'received / expected'],
    results
      .filter((r) => r.latency !== undefined)
      .map((r) => {
        const l = r.latency!;
        const expected = l.sent * r.subscribers;
        return [
          r.name,
          r.broker,
          int(l.ratePerSec),
          ms(l.latency.p50),
          ms(l.latency.p90),
          ms(l.latency.p99),
          ms(l.latency.max),
          `${int(l.received)} / ${int(expected)}`,
        ];
      }),
  );
  return [
    '### Scenario 1: plain broker (MQTT 3.1.1, 64-byte payloads, persistence off)',
    '',
    'Saturation throughput (closed loop; deliveries per second at the subscribers):',
    '',
    summary,
    '',
    details,
    '',
    'End-to-end latency at a fixed publish rate (timestamp in the payload):',
    '',
    latency,
  ].join('\n');
}

/** The generator check: mosquitto with 1 and 2 load-generator processes. */
export function generatorReport(results: readonly PlainResult[]): string {
  const rows = results.map((r) => [
    r.name,
    String(r.workers),
    r.throughput === undefined ? `error: ${r.error}` : int(r.throughput.deliveredPerSec),
    r.throughput === undefined ? '' : pct(r.throughput.brokerCpu),
    r.throughput === undefined ? '' : pct(r.throughput.generatorCpu),
  ]);
  return [
    '### Generator check: mosquitto with 1 and 2 load-generator processes',
    '',
    table(['case', 'generator processes', 'mosquitto msg/s', 'mosquitto CPU', 'generator CPU'], rows),
  ].join('\n');
}
