import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Broker } from '../broker/broker.js';
import { registerAuthThrottleCollectors } from './auth-throttle-collectors.js';
import type { ClusterStats, DeviceFeedRelayCounts } from './cluster-collectors.js';
import { registerClusterCollectors, registerDeviceFeedRelayCollectors } from './cluster-collectors.js';
import { type DeviceApiMetricsSource, registerDeviceApiCollectors } from './device-api-collectors.js';
import { registerEngineCollectors } from './engine-collectors.js';
import { HttpMetrics } from './http-metrics.js';
import { type LiveStreamCounts, registerLiveStreamCollectors } from './live-stream-collectors.js';
import { registerPresenceCollector, registerProcessCollectors } from './process-collectors.js';

export interface MetricsRegistryOptions {
  /** The running broker, read on every scrape; undefined before it starts (metrics read 0). */
  readonly broker: () => Broker | undefined;
  /** prom-client's process_* and nodejs_* metrics (memory, CPU, handles, GC); on by default. */
  readonly processMetrics?: boolean;
  /** The device API's counters (`devgate start`); absent in the plain broker. */
  readonly deviceApi?: DeviceApiMetricsSource;
  /** Devices online now (`devgate start`); absent in the plain broker. */
  readonly devicesOnline?: () => number | undefined;
  /** The console's live streams (`devgate start`); absent in the plain broker. */
  readonly liveStreams?: () => LiveStreamCounts;
  /** This node's cluster counters; absent when the process is not a cluster node. */
  readonly cluster?: () => ClusterStats | undefined;
  /** The device feed relay's counts (`devgate start` cluster nodes). */
  readonly deviceFeedRelay?: () => DeviceFeedRelayCounts | undefined;
}

/** Store flushes take from well under a millisecond (idle) to seconds (a stalled disk). */
const FLUSH_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const NS_PER_SECOND = 1e9;

/**
 * The `/metrics` registry of one process: engine counters (read from the broker's EngineMetrics
 * at scrape time), the device API's counters when it runs, engine store flush latency,
 * event-loop lag and process metrics. One per
 * HTTP app or plain broker; `close()` stops the event-loop monitor.
 */
export class MetricsRegistry {
  readonly registry = new Registry();
  private httpMetrics: HttpMetrics | undefined;
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly flushSeconds: Histogram<'store'>;
  private readonly broker: () => Broker | undefined;
  /** The broker whose store flushes feed {@link flushSeconds}. */
  private observed: Broker | undefined;

  constructor(options: MetricsRegistryOptions) {
    this.broker = options.broker;
    registerEngineCollectors(this.registry, () => this.currentBroker());
    registerAuthThrottleCollectors(this.registry, () => this.broker()?.authThrottle);
    if (options.deviceApi !== undefined) registerDeviceApiCollectors(this.registry, options.deviceApi);
    if (options.devicesOnline !== undefined) registerPresenceCollector(this.registry, options.devicesOnline);
    if (options.liveStreams !== undefined) registerLiveStreamCollectors(this.registry, options.liveStreams);
    if (options.cluster !== undefined) registerClusterCollectors(this.registry, options.cluster);
    if (options.deviceFeedRelay !== undefined)
      registerDeviceFeedRelayCollectors(this.registry, options.deviceFeedRelay);
    registerProcessCollectors(this.registry);
    this.flushSeconds = new Histogram({
      name: 'devgate_store_flush_seconds',
      help: 'Engine store flush latency (the durability barrier of QoS 1/2 acknowledgements)',
      labelNames: ['store'],
      buckets: FLUSH_BUCKETS,
      registers: [this.registry],
    });
    this.loopLagGauges();
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.loopDelay.enable();
  }

  /** The HTTP API's request metrics, registered when the Fastify app asks (the plain broker has none). */
  get http(): HttpMetrics {
    this.httpMetrics ??= new HttpMetrics(this.registry);
    return this.httpMetrics;
  }

  /** The broker now, hooked for store flush timings the first time it is seen. */
  private currentBroker(): Broker | undefined {
    const broker = this.broker();
    if (broker !== undefined && broker !== this.observed) this.observe(broker);
    return broker;
  }

  /** Starts timing `broker`'s store flushes now (otherwise from the first scrape on). */
  observe(broker: Broker): void {
    this.observed = broker;
    broker.metrics.onStoreFlush = (store, seconds) => this.flushSeconds.observe({ store }, seconds);
  }

  /** Lag since the previous scrape: the histogram is reset after each read. */
  private loopLagGauges(): void {
    const loop = this.loopDelay;
    const stats = { mean: () => loop.mean, p99: () => loop.percentile(99), max: () => loop.max };
    new Gauge({
      name: 'devgate_event_loop_lag_seconds',
      help: 'Event-loop delay since the previous scrape (mean, p99, max)',
      labelNames: ['stat'],
      registers: [this.registry],
      collect(this: Gauge<string>) {
        const empty = loop.count === 0;
        for (const [stat, read] of Object.entries(stats))
          this.set({ stat }, empty ? 0 : read() / NS_PER_SECOND);
        loop.reset();
      },
    });
  }

  /** Prometheus text exposition format 0.0.4. */
  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    this.currentBroker();
    return this.registry.metrics();
  }

  close(): void {
    this.loopDelay.disable();
    const broker = this.observed;
    if (broker !== undefined) broker.metrics.onStoreFlush = undefined;
  }
}
