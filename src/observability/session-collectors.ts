import { Gauge, type Registry } from 'prom-client';
import type { SessionStats } from '../broker/broker.js';
import type { BrokerSource } from './engine-collectors.js';

const NO_SESSIONS: SessionStats = { connected: 0, disconnected: 0, subscriptions: 0, pending: 0 };

/**
 * The sessions walked once per scrape (~2 ms per 100,000 sessions): prom-client runs every
 * collector of one scrape in the same tick, so the walk is shared until the next microtask.
 */
function oncePerScrape(broker: BrokerSource): () => SessionStats {
  let cached: SessionStats | undefined;
  return () => {
    if (cached === undefined) {
      cached = broker()?.sessionStats() ?? NO_SESSIONS;
      queueMicrotask(() => {
        cached = undefined;
      });
    }
    return cached;
  };
}

/** Sessions, subscriptions and messages held. */
export function registerSessionCollectors(registry: Registry, broker: BrokerSource): void {
  const sessionStats = oncePerScrape(broker);
  new Gauge({
    name: 'devgate_mqtt_sessions',
    help: 'MQTT sessions held, by state: connected, or disconnected and kept until their expiry',
    labelNames: ['state'],
    registers: [registry],
    collect(this: Gauge<string>) {
      const stats = sessionStats();
      this.set({ state: 'connected' }, stats.connected);
      this.set({ state: 'disconnected' }, stats.disconnected);
    },
  });
  new Gauge({
    name: 'devgate_mqtt_subscriptions',
    help: 'Subscriptions held by all sessions (shared subscriptions included)',
    registers: [registry],
    collect(this: Gauge) {
      this.set(sessionStats().subscriptions);
    },
  });
  new Gauge({
    name: 'devgate_mqtt_pending_messages',
    help: 'QoS 1/2 messages held for sessions: sent and not yet acknowledged, or queued',
    registers: [registry],
    collect(this: Gauge) {
      this.set(sessionStats().pending);
    },
  });
  new Gauge({
    name: 'devgate_mqtt_retained_messages',
    help: 'Retained messages held',
    registers: [registry],
    collect(this: Gauge) {
      this.set(broker()?.retained.size ?? 0);
    },
  });
}
