import { performance } from 'node:perf_hooks';
import type { EngineStores } from '../broker/store-ports.js';
import type { EngineMetrics, EngineStoreName } from '../observability/metrics.js';

/** Replaces one store's `flush` with a timed one (an own property: the store code is untouched). */
function timeFlush(store: { flush(): Promise<void> }, name: EngineStoreName, metrics: EngineMetrics): void {
  const flush = store.flush.bind(store);
  store.flush = () => {
    const started = performance.now();
    const report = (): void => metrics.onStoreFlush?.(name, (performance.now() - started) / 1000);
    const flushed = flush();
    flushed.then(report, report);
    return flushed;
  };
}

/**
 * The engine stores with their `flush()` timed into `metrics.onStoreFlush` (the store latency
 * histogram of /metrics): a flush is the durability barrier QoS 1/2 acknowledgements wait for.
 */
export function timeStoreFlushes(
  stores: EngineStores | undefined,
  metrics: EngineMetrics,
): EngineStores | undefined {
  if (stores === undefined) return undefined;
  timeFlush(stores.sessions, 'sessions', metrics);
  timeFlush(stores.retained, 'retained', metrics);
  return stores;
}
