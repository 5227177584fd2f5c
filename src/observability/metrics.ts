/** MQTT control packet types (MQTT 5.0 §2.1.2): the label of the per-kind packet counters. */
export const PACKET_KINDS = [
  'connect',
  'connack',
  'publish',
  'puback',
  'pubrec',
  'pubrel',
  'pubcomp',
  'subscribe',
  'suback',
  'unsubscribe',
  'unsuback',
  'pingreq',
  'pingresp',
  'disconnect',
  'auth',
] as const;
export type PacketKind = (typeof PACKET_KINDS)[number];

/** Why a connection was closed on a failure (error-mapping.ts): the client's, or ours. */
export const CONNECTION_ERROR_KINDS = ['protocol', 'internal'] as const;
export type ConnectionErrorKind = (typeof CONNECTION_ERROR_KINDS)[number];

/** Who refused a PUBLISH or SUBSCRIBE: the authorizer (ACL), an API adapter's device/gateway scope, or the reserved `$SYS` space. */
export const DENIAL_SOURCES = ['authorizer', 'scope', 'reserved'] as const;
export type DenialSource = (typeof DENIAL_SOURCES)[number];

/** Which engine store a flush timing is about. */
export type EngineStoreName = 'sessions' | 'retained';

function zeroPerKind(): Record<PacketKind, number> {
  return Object.fromEntries(PACKET_KINDS.map((kind) => [kind, 0])) as Record<PacketKind, number>;
}

function countIn(counts: Map<number, number>, code: number): void {
  counts.set(code, (counts.get(code) ?? 0) + 1);
}

/**
 * Engine counters. Plain numbers so the hot path pays one increment; exporters (log, $SYS,
 * /metrics) read them.
 */
export class EngineMetrics {
  connectionsAccepted = 0;
  connectionsRejected = 0;
  messagesReceived = 0;
  messagesSent = 0;
  bytesReceived = 0;
  bytesSent = 0;
  /** PUBLISHes received / written, by their QoS (index 0..2). */
  readonly messagesReceivedByQos: [number, number, number] = [0, 0, 0];
  readonly messagesSentByQos: [number, number, number] = [0, 0, 0];
  /** PUBLISHes of the broker's own `$SYS` topics written, and their bytes ($SYS leaves them out). */
  sysMessagesSent = 0;
  sysBytesSent = 0;
  /** Live connections replaced by a new CONNECT with the same client id [MQTT-3.1.4-3]. */
  sessionTakeovers = 0;
  /** PUBLISHes and SUBSCRIBE filters refused, by who refused them. */
  readonly publishDenied: Record<DenialSource, number> = { authorizer: 0, scope: 0, reserved: 0 };
  readonly subscribeDenied: Record<DenialSource, number> = { authorizer: 0, scope: 0, reserved: 0 };
  /** QoS 1/2 messages dropped because a session's offline/pending queue was full. */
  droppedQueueFull = 0;
  /** QoS 0 messages dropped because the socket could not keep up. */
  droppedSlowConsumer = 0;
  /** Messages not sent because they exceed the client's Maximum Packet Size [MQTT-3.1.2-25]. */
  droppedTooLarge = 0;
  /** Messages discarded because their Message Expiry Interval elapsed. */
  droppedExpired = 0;
  /** Cluster: second copies of a message for a session that just moved here (ClusterSessions.takesOnce). */
  droppedDuplicateCopies = 0;
  /** Socket worker processes running now, and how many exited unexpectedly (decision 0006). */
  socketWorkersRunning = 0;
  socketWorkerExits = 0;
  /** Packets handled by channels, per type (same-shape objects: one increment each). */
  readonly packetsReceived = zeroPerKind();
  /** Non-PUBLISH packets written (PUBLISHes written are `messagesSent`). */
  readonly packetsSent = zeroPerKind();
  /** CONNECTs refused, by CONNACK reason code (authentication failures included). Not hot. */
  readonly connectsRefused = new Map<number, number>();
  /** Authenticator refusals, by reason code. Not hot. */
  readonly authFailures = new Map<number, number>();
  /** Connections closed because handling them failed, by kind (the process carried on). Not hot. */
  readonly connectionErrors: Record<ConnectionErrorKind, number> = { protocol: 0, internal: 0 };
  /** Set by the /metrics registry: told how long each engine store flush took. */
  onStoreFlush: ((store: EngineStoreName, seconds: number) => void) | undefined;

  connectRefused(reasonCode: number): void {
    countIn(this.connectsRefused, reasonCode);
  }

  authFailed(reasonCode: number): void {
    countIn(this.authFailures, reasonCode);
  }

  connectionFailed(kind: ConnectionErrorKind): void {
    this.connectionErrors[kind]++;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this).filter((e): e is [string, number] => typeof e[1] === 'number'),
    );
  }
}
