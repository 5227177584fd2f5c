import type { Registry } from 'prom-client';
import type { DeviceApiMetrics } from './device-api-metrics.js';
import { scrapedCounter, scrapedLabelledCounter } from './scrape-counters.js';

/**
 * The device API's own counters (`runtime.metrics`) as Prometheus metrics, read at scrape time
 * like the engine's. Labels are closed sets (outcome, limit kind): never a token, device id or
 * datastream name. Before the device API runs (or in the plain broker) they read 0.
 */
export type DeviceApiMetricsSource = () => DeviceApiMetrics | undefined;

type Read = (m: DeviceApiMetrics) => number;

const PLAIN: ReadonlyArray<readonly [name: string, help: string, read: Read]> = [
  [
    'devgate_device_api_uplinks_total',
    'Device API uplinks handled: MQTT, gateway and Device HTTPS API (any outcome)',
    (m) => m.uplinks,
  ],
  [
    'devgate_device_api_uplinks_refused_total',
    'Uplinks refused: unknown topic, datastream, event or metadata, bad payload, not allowed, over a limit',
    (m) => m.uplinksRefused,
  ],
  [
    'devgate_device_api_rate_limited_total',
    'Uplinks and Device HTTPS API writes refused by the per-device message rate',
    (m) => m.uplinksRateLimited,
  ],
  [
    'devgate_device_api_flood_disconnects_total',
    'Device connections closed for sustained flooding (DISCONNECT 0x96)',
    (m) => m.floodDisconnects,
  ],
  [
    'devgate_device_api_redirects_total',
    'Devices sent downlink/redirect to their home region',
    (m) => m.redirects,
  ],
  [
    'devgate_device_api_downlinks_total',
    'Downlinks published for devices (fan-out not counted)',
    (m) => m.downlinks,
  ],
  [
    'devgate_device_api_import_points_dropped_total',
    'Timestamped points not stored: the device used up its daily import allowance',
    (m) => m.importPointsLimited,
  ],
];

const LABELLED: ReadonlyArray<
  readonly [name: string, help: string, label: string, values: Readonly<Record<string, Read>>]
> = [
  [
    'devgate_device_api_diags_total',
    'downlink/diag texts, by outcome (sent, or throttled per device)',
    'outcome',
    { sent: (m) => m.diagsSent, throttled: (m) => m.diagsThrottled },
  ],
  [
    'devgate_device_api_limit_refusals_total',
    'Requests refused by a per-device daily or interval limit, by limit',
    'limit',
    { events: (m) => m.eventsLimited, updates: (m) => m.updatesLimited, uploads: (m) => m.uploadsLimited },
  ],
];

export function registerDeviceApiCollectors(registry: Registry, source: DeviceApiMetricsSource): void {
  for (const [name, help, read] of PLAIN) scrapedCounter(registry, source, name, help, read);
  for (const [name, help, label, values] of LABELLED) {
    // Every label value reads 0 while the device API is absent, so each series always exists.
    scrapedLabelledCounter(registry, name, help, label, () => {
      const metrics = source();
      return Object.entries(values).map(([value, read]) => [
        value,
        metrics === undefined ? 0 : read(metrics),
      ]);
    });
  }
}
