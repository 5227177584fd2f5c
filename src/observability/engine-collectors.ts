import { Counter, Gauge, type Registry } from 'prom-client';
import type { Broker } from '../broker/broker.js';
import { ReasonCode } from '../mqtt/codec/reason-codes.js';
import { CONNECTION_ERROR_KINDS, DENIAL_SOURCES, type EngineMetrics, PACKET_KINDS } from './metrics.js';
import { type LabelledCounts, scrapedCounter, scrapedLabelledCounter } from './scrape-counters.js';
import { registerSessionCollectors } from './session-collectors.js';

/**
 * The engine's counters as Prometheus metrics. Values are read from EngineMetrics (plain
 * numbers the hot path increments) when scraped, never pushed. Labels are closed sets only
 * (transport, protocol version, packet kind, reason name): no client id, token or device name.
 */

export type BrokerSource = () => Broker | undefined;

/** `BadUserNameOrPassword` → `bad_user_name_or_password`; unknown codes as `0x..`. */
const REASON_NAMES = new Map<number, string>(
  Object.entries(ReasonCode).map(([name, code]) => [
    code,
    name.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c.toLowerCase() : `_${c.toLowerCase()}`)),
  ]),
);

export function reasonName(code: number): string {
  return REASON_NAMES.get(code) ?? `0x${code.toString(16).padStart(2, '0')}`;
}

/** Wire protocol level → the MQTT version users know. */
export function protocolName(level: 3 | 4 | 5): string {
  return level === 3 ? '3.1' : level === 4 ? '3.1.1' : '5.0';
}

const DROP_REASONS = {
  queue_full: 'droppedQueueFull',
  slow_consumer: 'droppedSlowConsumer',
  too_large: 'droppedTooLarge',
  expired: 'droppedExpired',
} as const satisfies Record<string, keyof EngineMetrics>;

/** A counter whose value is a number read at scrape time. */
function readCounter(
  registry: Registry,
  broker: BrokerSource,
  name: string,
  help: string,
  read: (m: EngineMetrics) => number,
): void {
  scrapedCounter(registry, () => broker()?.metrics, name, help, read);
}

/** A labelled counter with no samples while no broker runs. */
function labelledCounter(
  registry: Registry,
  broker: BrokerSource,
  name: string,
  help: string,
  label: string,
  read: (m: EngineMetrics) => LabelledCounts,
): void {
  scrapedLabelledCounter(registry, name, help, label, () => {
    const metrics = broker()?.metrics;
    return metrics === undefined ? [] : read(metrics);
  });
}

function reasonCounts(counts: ReadonlyMap<number, number>): Array<[string, number]> {
  return [...counts].map(([code, count]) => [reasonName(code), count]);
}

function gauges(registry: Registry, broker: BrokerSource): void {
  new Gauge({
    name: 'devgate_mqtt_connections',
    help: 'Accepted MQTT connections open now, by listener (transport and port) and protocol version',
    labelNames: ['transport', 'port', 'protocol'],
    registers: [registry],
    collect(this: Gauge<string>) {
      this.reset();
      for (const { description, count } of broker()?.connectionStats().values() ?? []) {
        const { transport, port, protocolVersion } = description;
        this.set(
          {
            transport,
            port: port === undefined ? '' : String(port),
            protocol: protocolName(protocolVersion),
          },
          count,
        );
      }
    },
  });
  new Gauge({
    name: 'devgate_socket_workers',
    help: 'Socket worker processes running (--socket-workers; 0 without)',
    registers: [registry],
    collect(this: Gauge) {
      this.set(broker()?.metrics.socketWorkersRunning ?? 0);
    },
  });
}

function connectCounters(registry: Registry, broker: BrokerSource): void {
  readCounter(
    registry,
    broker,
    'devgate_mqtt_connects_accepted_total',
    'CONNECTs accepted',
    (m) => m.connectionsAccepted,
  );
  labelledCounter(
    registry,
    broker,
    'devgate_mqtt_connects_refused_total',
    'CONNECTs refused, by reason (authentication failures included)',
    'reason',
    (m) => reasonCounts(m.connectsRefused),
  );
  labelledCounter(
    registry,
    broker,
    'devgate_mqtt_auth_failures_total',
    'CONNECTs the authenticator refused, by reason',
    'reason',
    (m) => reasonCounts(m.authFailures),
  );
  labelledCounter(
    registry,
    broker,
    'devgate_connection_errors_total',
    'Connections closed because handling them failed: kind="protocol" (the client broke MQTT) or "internal" (a server fault, contained to that connection)',
    'kind',
    (m) => CONNECTION_ERROR_KINDS.map((kind) => [kind, m.connectionErrors[kind]] as const),
  );
}

function trafficCounters(registry: Registry, broker: BrokerSource): void {
  labelledCounter(
    registry,
    broker,
    'devgate_mqtt_packets_received_total',
    'MQTT control packets received, by kind',
    'kind',
    (m) => PACKET_KINDS.map((kind) => [kind, m.packetsReceived[kind]] as const),
  );
  labelledCounter(
    registry,
    broker,
    'devgate_mqtt_packets_sent_total',
    'MQTT control packets sent, by kind',
    'kind',
    (m) =>
      PACKET_KINDS.map(
        (kind) => [kind, m.packetsSent[kind] + (kind === 'publish' ? m.messagesSent : 0)] as const,
      ),
  );
  readCounter(
    registry,
    broker,
    'devgate_mqtt_bytes_received_total',
    'Bytes read from MQTT clients',
    (m) => m.bytesReceived,
  );
  readCounter(
    registry,
    broker,
    'devgate_mqtt_bytes_sent_total',
    'Bytes written to MQTT clients',
    (m) => m.bytesSent,
  );
  labelledCounter(
    registry,
    broker,
    'devgate_mqtt_messages_received_total',
    'PUBLISHes received from clients, by QoS',
    'qos',
    (m) => byQos(m.messagesReceivedByQos),
  );
  labelledCounter(
    registry,
    broker,
    'devgate_mqtt_messages_sent_total',
    'PUBLISHes written to clients (deliveries, downlinks and $SYS included), by QoS',
    'qos',
    (m) => byQos(m.messagesSentByQos),
  );
  readCounter(
    registry,
    broker,
    'devgate_socket_worker_exits_total',
    'Socket worker processes that exited unexpectedly (each took its connections with it and was replaced)',
    (m) => m.socketWorkerExits,
  );
  labelledCounter(
    registry,
    broker,
    'devgate_mqtt_deliveries_dropped_total',
    'Deliveries dropped, by reason',
    'reason',
    (m) => Object.entries(DROP_REASONS).map(([reason, field]) => [reason, m[field]] as const),
  );
}

function byQos(counts: readonly number[]): Array<[string, number]> {
  return counts.map((count, qos) => [String(qos), count]);
}

/** Refusals and takeovers: what an operator looks at when clients say "it stopped working". */
function accessCounters(registry: Registry, broker: BrokerSource): void {
  new Counter({
    name: 'devgate_mqtt_denials_total',
    help: 'PUBLISHes and SUBSCRIBE filters refused, by action and by who refused (authorizer: ACL; scope: device/gateway API; reserved: $SYS)',
    labelNames: ['action', 'by'],
    registers: [registry],
    collect(this: Counter<string>) {
      this.reset();
      const metrics = broker()?.metrics;
      for (const by of DENIAL_SOURCES) {
        this.inc({ action: 'publish', by }, metrics?.publishDenied[by] ?? 0);
        this.inc({ action: 'subscribe', by }, metrics?.subscribeDenied[by] ?? 0);
      }
    },
  });
  readCounter(
    registry,
    broker,
    'devgate_mqtt_session_takeovers_total',
    'Live connections closed because a new CONNECT took over their session (same client id)',
    (m) => m.sessionTakeovers,
  );
  readCounter(
    registry,
    broker,
    'devgate_cluster_duplicate_copies_total',
    'Second copies of a message not given to a session that just moved to this node (one came directly, one relayed by its previous node)',
    (m) => m.droppedDuplicateCopies,
  );
}

/** Registers the engine metrics on `registry`; each scrape reads the broker `broker()` returns. */
export function registerEngineCollectors(registry: Registry, broker: BrokerSource): void {
  gauges(registry, broker);
  registerSessionCollectors(registry, broker);
  connectCounters(registry, broker);
  trafficCounters(registry, broker);
  accessCounters(registry, broker);
}
