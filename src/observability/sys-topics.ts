import type { Broker } from '../broker/broker.js';
import { SYS_ROOT } from '../broker/sys-topic.js';
import { LoadAverage } from './load-average.js';
import type { EngineMetrics } from './metrics.js';

/** `devgate broker --sys-interval` default, seconds. */
export const DEFAULT_SYS_INTERVAL_SEC = 10;

const BROKER = `${SYS_ROOT}/broker`;
const UPTIME_TOPIC = `${BROKER}/uptime`;

/** The counters behind `…/load/…`, read without the broker's own `$SYS` publications. */
const LOAD_SOURCES = {
  'messages/received': (m: EngineMetrics) => m.messagesReceived,
  'messages/sent': (m: EngineMetrics) => m.messagesSent - m.sysMessagesSent,
  'bytes/received': (m: EngineMetrics) => m.bytesReceived,
  'bytes/sent': (m: EngineMetrics) => m.bytesSent - m.sysBytesSent,
  connections: (m: EngineMetrics) => m.connectionsAccepted,
} as const;
type LoadName = keyof typeof LOAD_SOURCES;
const LOAD_NAMES = Object.keys(LOAD_SOURCES) as LoadName[];

export interface SysTopicsOptions {
  /** Seconds between updates; must be above 0 (0 means no `$SYS` at all: do not make one). */
  readonly intervalSec: number;
  /** What `$SYS/broker/version` says. */
  readonly version: string;
}

/**
 * The plain broker's `$SYS/broker/…` topics (mosquitto's names): published retained, QoS 0,
 * through the broker's normal retain-and-route path as a server-originated message (no
 * publisher id), so each subscriber's ACL read rules apply as for any topic. A topic is published
 * again only when its value changed, except the uptime. The broker's own `$SYS` deliveries are
 * left out of the message and byte counts reported, or every update would change them.
 */
export class SysTopics {
  private readonly published = new Map<string, string>();
  private readonly loads = new Map<LoadName, LoadAverage>(LOAD_NAMES.map((n) => [n, new LoadAverage()]));
  private readonly lastCounts = new Map<LoadName, number>();
  private lastAt: number;
  private readonly startedAt: number;
  private maxConnected = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly broker: Broker,
    private readonly options: SysTopicsOptions,
  ) {
    this.startedAt = broker.clock.now();
    this.lastAt = this.startedAt;
    for (const name of LOAD_NAMES) this.lastCounts.set(name, LOAD_SOURCES[name](broker.metrics));
  }

  /** Publishes now, then every interval. */
  start(): void {
    this.update();
    this.timer = setInterval(() => this.update(), this.options.intervalSec * 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One update: every topic whose value changed, and the uptime. */
  update(): void {
    if (this.broker.isClosing) return;
    const now = this.broker.clock.now();
    this.updateLoads(now);
    for (const [topic, value] of this.values(now)) {
      if (topic !== UPTIME_TOPIC && this.published.get(topic) === value) continue;
      this.published.set(topic, value);
      this.publish(topic, value, now);
    }
  }

  private updateLoads(now: number): void {
    const elapsedSec = (now - this.lastAt) / 1000;
    if (elapsedSec <= 0) return;
    this.lastAt = now;
    const metrics = this.broker.metrics;
    for (const name of LOAD_NAMES) {
      const count = LOAD_SOURCES[name](metrics);
      this.loads.get(name)!.update(count - (this.lastCounts.get(name) ?? count), elapsedSec);
      this.lastCounts.set(name, count);
    }
  }

  /** Every `$SYS` topic with its value now, as mosquitto formats them. */
  private values(now: number): Array<[topic: string, value: string]> {
    const broker = this.broker;
    const metrics = broker.metrics;
    const stats = broker.sessionStats();
    this.maxConnected = Math.max(this.maxConnected, stats.connected);
    const retained = broker.retained.size;
    const out: Array<[string, string]> = [
      [`${BROKER}/version`, `devgate version ${this.options.version}`],
      [`${BROKER}/clients/connected`, String(stats.connected)],
      [`${BROKER}/clients/disconnected`, String(stats.disconnected)],
      [`${BROKER}/clients/total`, String(stats.connected + stats.disconnected)],
      [`${BROKER}/clients/maximum`, String(this.maxConnected)],
      [`${BROKER}/messages/received`, String(LOAD_SOURCES['messages/received'](metrics))],
      [`${BROKER}/messages/sent`, String(LOAD_SOURCES['messages/sent'](metrics))],
      [`${BROKER}/messages/stored`, String(retained + stats.pending)],
      [`${BROKER}/subscriptions/count`, String(stats.subscriptions)],
      [`${BROKER}/retained messages/count`, String(retained)],
      [`${BROKER}/bytes/received`, String(LOAD_SOURCES['bytes/received'](metrics))],
      [`${BROKER}/bytes/sent`, String(LOAD_SOURCES['bytes/sent'](metrics))],
    ];
    for (const [name, load] of this.loads) {
      for (const [window, perMinute] of load.values())
        out.push([`${BROKER}/load/${name}/${window}`, perMinute.toFixed(2)]);
    }
    // Last: a subscriber knows an update is complete when the uptime arrives.
    out.push([UPTIME_TOPIC, `${Math.floor((now - this.startedAt) / 1000)} seconds`]);
    return out;
  }

  private publish(topic: string, value: string, now: number): void {
    this.broker.publish({
      topic,
      payload: Buffer.from(value),
      qos: 0,
      retain: true,
      properties: {},
      createdAt: now,
    });
  }
}
