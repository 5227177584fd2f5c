import { int, pct, ratio, table } from '../lib/format.js';
import { BACKLOG_LIMITS, type BacklogResult } from './backlog.js';

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function medianOf(
  results: readonly BacklogResult[],
  caseId: string,
  broker: string,
  field: 'deliveredPerSec' | 'timeToLastMs' | 'dropped',
): number | undefined {
  const values = results
    .filter((r) => r.case === caseId && r.broker === broker && r[field] !== undefined)
    .map((r) => r[field]!);
  return median(values);
}

const count = (n: number | undefined): string => (n === undefined ? 'n/a' : int(n));
const seconds = (ms: number | undefined): string =>
  ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(2)} s`;
const mib = (bytes: number | undefined): string =>
  bytes === undefined ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/** Scenario 5 as Markdown: medians per broker with the ratio to mosquitto, then every round. */
export function backlogReport(results: readonly BacklogResult[]): string {
  const cases = [...new Map(results.map((r) => [r.case, r.name])).entries()];
  const brokers = [...new Set(results.map((r) => r.broker))].filter((b) => b !== 'mosquitto');
  const summary = table(
    ['case', 'broker', 'delivered msg/s', 'time to last', 'dropped', '÷ mosquitto msg/s (≥ 1x)'],
    cases.flatMap(([id, name]) =>
      ['mosquitto', ...brokers].map((broker) => {
        const rate = medianOf(results, id, broker, 'deliveredPerSec');
        return [
          name,
          broker,
          rate === undefined ? 'n/a' : int(rate),
          seconds(medianOf(results, id, broker, 'timeToLastMs')),
          count(medianOf(results, id, broker, 'dropped')),
          broker === 'mosquitto' ? '' : ratio(rate, medianOf(results, id, 'mosquitto', 'deliveredPerSec')),
        ];
      }),
    ),
  );
  const rounds = table(
    [
      'case',
      'broker',
      'round',
      'delivered',
      'dropped',
      'dup / out of order',
      'delivered msg/s',
      'time to last',
      'published msg/s',
      'broker CPU',
      'peak RSS (growth)',
    ],
    results.map((r) =>
      r.error !== undefined
        ? [r.name, r.broker, String(r.round), `error: ${r.error}`, '', '', '', '', '', '', '']
        : [
            r.name,
            r.broker,
            String(r.round),
            `${int(r.delivered ?? 0)} / ${int(r.messages)}`,
            int(r.dropped ?? 0),
            `${int(r.duplicates ?? 0)} / ${int(r.outOfOrder ?? 0)}`,
            int(r.deliveredPerSec ?? 0),
            seconds(r.timeToLastMs),
            int(r.publishedPerSec ?? 0),
            pct(r.brokerCpu ?? 0),
            `${mib(r.peakRssBytes)} (+${mib((r.peakRssBytes ?? 0) - (r.startRssBytes ?? 0))})`,
          ],
    ),
  );
  return [
    `### Scenario 5: deep backlog (MQTT 3.1.1, QoS 1, 64-byte payloads; ${int(BACKLOG_LIMITS.maxInflight)} in flight and ${int(BACKLOG_LIMITS.maxQueued)} queued per client on every broker)`,
    '',
    'Medians over the rounds (each round starts every broker afresh, the order alternating):',
    '',
    summary,
    '',
    rounds,
  ].join('\n');
}
