import { int, ms, pct, table } from '../lib/format.js';
import type { DownlinkResult } from './downlinks.js';
import { INGEST_BASELINE, type IngestResult } from './ingest.js';

/** `value ÷ baseline` as `0.42x`, or – without a baseline in this run. */
function ratio(value: number | undefined, baseline: number | undefined): string {
  if (value === undefined || baseline === undefined || baseline === 0) return '–';
  return `${(value / baseline).toFixed(2)}x`;
}

export function ingestReport(results: readonly IngestResult[]): string {
  const baseline = results.find(
    (r) => r.case === INGEST_BASELINE && r.error === undefined && r.baseline !== true,
  );
  const rows = results.map((r) =>
    r.error !== undefined
      ? [r.name, `error: ${r.error}`, '', '', '', '', '', '', '', '', '', '']
      : [
          r.name,
          int(r.sent ?? 0),
          r.acked === 0 ? '–' : int(r.acked ?? 0),
          int(r.persisted ?? 0),
          int(r.persistedPerSec ?? 0),
          ratio(r.persistedPerSec, baseline?.persistedPerSec),
          (r.cpuMicrosPerValue ?? 0).toFixed(2),
          ratio(r.cpuMicrosPerValue, baseline?.cpuMicrosPerValue),
          r.pubackLatency === undefined || r.pubackLatency.count === 0
            ? '–'
            : `${ms(r.pubackLatency.p50)} / ${ms(r.pubackLatency.p99)} / ${ms(r.pubackLatency.max)}`,
          r.acked === 0 ? '–' : r.ackedAllPersisted ? 'yes' : 'NO',
          pct(r.brokerCpu ?? 0),
          pct(r.generatorCpu ?? 0),
        ],
  );
  return [
    '### Scenario 2: device ingest, `devgate start` (target ≥ 100k values/s persisted)',
    '',
    'Values are `ds/Temperature` uplinks; "persisted" is the number of history rows read from',
    'the platform database after the server stopped. mosquitto and aedes have no platform: not applicable.',
    `Ratios are against "${baseline?.name ?? INGEST_BASELINE}" of this run; "a write per packet" cases send`,
    'each PUBLISH in its own TCP write and the next on its PUBACK, from their own generator processes.',
    '',
    table(
      [
        'case',
        'sent',
        'PUBACKed',
        'persisted',
        'persisted/s',
        '÷ baseline',
        'server CPU µs/value',
        '÷ baseline',
        'PUBACK p50 / p99 / max ms',
        'acked ⊆ persisted',
        'server CPU',
        'generator CPU',
      ],
      rows,
    ),
  ].join('\n');
}

export function downlinkReport(results: readonly DownlinkResult[]): string {
  const rows = results.map((r) =>
    r.error !== undefined
      ? [r.name, `error: ${r.error}`, '', '', '', '', '', '', '']
      : [
          r.name,
          int(r.writesPerSec ?? 0),
          `${int(r.received ?? 0)} / ${int(r.sent ?? 0)}`,
          String(r.httpErrors ?? 0),
          r.httpLatency === undefined ? '' : `${ms(r.httpLatency.p50)} / ${ms(r.httpLatency.p99)}`,
          r.latency === undefined ? '' : ms(r.latency.p50),
          r.latency === undefined ? '' : ms(r.latency.p90),
          r.latency === undefined ? '' : ms(r.latency.p99),
          r.latency === undefined ? '' : ms(r.latency.max),
        ],
  );
  return [
    '### Scenario 3: downlinks, Platform API write → device (target p99 ≤ 5 ms at 1000 writes/s)',
    '',
    'Each write is `POST /api/v1/organization/device/datastream` with the send time (µs) as the value;',
    'latency is measured at the MQTT receiver, so it includes the HTTP request, validation and storage.',
    '',
    table(
      [
        'case',
        'writes/s',
        'received / written',
        'HTTP errors',
        'HTTP p50 / p99 ms',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'max ms',
      ],
      rows,
    ),
  ].join('\n');
}
