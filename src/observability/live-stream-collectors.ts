import { Gauge, type Registry } from 'prom-client';
import { scrapedCounter } from './scrape-counters.js';

/** What the console's live streams report (read at scrape time). */
export interface LiveStreamCounts {
  readonly open: number;
  /** Streams closed because their reader fell behind (`event: overflow`). */
  readonly overflowed: number;
  /** Streams refused by the per-caller or total limit. */
  readonly refused: number;
}

/** `devgate_live_streams` and its counters: the console's push channel (decision 0025). */
export function registerLiveStreamCollectors(registry: Registry, source: () => LiveStreamCounts): void {
  new Gauge({
    name: 'devgate_live_streams',
    help: 'Console live streams (GET /api/v1/organization/device/live) open now',
    registers: [registry],
    collect(this: Gauge) {
      this.set(source().open);
    },
  });
  scrapedCounter(
    registry,
    source,
    'devgate_live_streams_overflowed_total',
    'Live streams closed because their reader fell behind the byte budget',
    (c) => c.overflowed,
  );
  scrapedCounter(
    registry,
    source,
    'devgate_live_streams_refused_total',
    'Live streams refused by the per-caller or total limit',
    (c) => c.refused,
  );
}
