/**
 * Every engine limit, with its default and the reason for it. All are configurable
 * (config file `limits`, flags `--max-…`, env `DEVGATE_MAX_…`).
 */
export interface Limits {
  /** Largest packet accepted from a client, bytes; advertised as Maximum Packet Size (v5). */
  readonly maxPacketSize: number;
  /** A connection that has not sent CONNECT within this many ms is closed. */
  readonly connectTimeoutMs: number;
  /**
   * A packet must be complete within this many ms of its first byte, or the connection is closed
   * (v5: DISCONNECT 0x8D): its bytes reset keepalive, so a client trickling them would stay forever.
   */
  readonly incompletePacketTimeoutMs: number;
  /** How many QoS 1/2 PUBLISHes a client may have unacknowledged towards us (v5 Receive Maximum). */
  readonly receiveMaximum: number;
  /** Upper bound of our unacknowledged QoS 1/2 sends per client (min with the client's Receive Maximum). */
  readonly maxInflightOutgoing: number;
  /** QoS 1/2 messages queued per session beyond the inflight window; newest is dropped when full. */
  readonly maxQueuedMessages: number;
  /** Topic aliases a client may define towards us (v5 Topic Alias Maximum in CONNACK). */
  readonly topicAliasMaximum: number;
  /** Most topic aliases we use towards a client (capped by the client's own maximum). */
  readonly outboundTopicAliasMaximum: number;
  /** Longest session expiry we grant, seconds; larger requests are answered with this value. */
  readonly maxSessionExpiryInterval: number;
  /**
   * When > 0, a v5 keepalive of 0 or above this is replaced by it (Server Keep Alive); 3.1.1 clients
   * cannot be told, so theirs is kept. Default 60 s (decision 0003).
   */
  readonly maxKeepAlive: number;
  /** Subscriptions one session may hold. */
  readonly maxSubscriptionsPerSession: number;
  /** Topic levels in a name or filter; deeper ones are refused (0x90/0x8F). */
  readonly maxTopicLevels: number;
  /** Bytes waiting in a socket's write buffer above which QoS 0 deliveries to it are dropped. */
  readonly maxWriteBufferBytes: number;
  /** Packets read from a socket but not yet processed; reading pauses above this. */
  readonly maxPendingPackets: number;
  /** Retained messages kept; a new retained topic beyond this is refused (0x97 quota exceeded). */
  readonly maxRetainedMessages: number;
  /** Concurrent connections; more are refused with CONNACK 0x89 server busy / 0x03. */
  readonly maxConnections: number;
  /** Client id length accepted [MQTT-3.1.3-5] allows more; we cap it to bound memory. */
  readonly maxClientIdLength: number;
  // Guessing and hoarding (decision 0009).
  /** Failed logins one source address (IPv6: its /64) may make at once; 0 turns throttling off. */
  readonly authFailureBurst: number;
  /** Ms for a source address to regain one allowed failed login. */
  readonly authFailureRefillMs: number;
  /** Failed logins against one OAuth client id from all addresses before its stricter rule applies. */
  readonly authCredentialFailureBurst: number;
  /** Ms for an OAuth client id to regain one allowed failed login. */
  readonly authCredentialFailureRefillMs: number;
  /** Entries each failed-login table keeps (least recently used evicted): bounds its memory. */
  readonly authThrottleMaxEntries: number;
  /** Sessions (connected or kept for expiry) one credential may hold; more get 0x97. 0 = no cap. */
  readonly maxSessionsPerCredential: number;
  /** Connections one HTTP/HTTPS listener holds, WebSocket MQTT included; more are closed at once. */
  readonly maxHttpConnections: number;
  /** How often HTTP listeners look for connections past their header/request timeouts, ms. */
  readonly httpConnectionsCheckMs: number;
  /**
   * On a listener taking the PROXY protocol, a connection whose header is not complete within this
   * many ms of its accept is closed (decision 0027).
   */
  readonly proxyHeaderTimeoutMs: number;
}

export const defaultLimits: Limits = {
  maxPacketSize: 1024 * 1024,
  connectTimeoutMs: 10_000,
  incompletePacketTimeoutMs: 60_000,
  receiveMaximum: 1024,
  maxInflightOutgoing: 100,
  maxQueuedMessages: 1000,
  topicAliasMaximum: 64,
  outboundTopicAliasMaximum: 64,
  maxSessionExpiryInterval: 7 * 24 * 3600,
  maxKeepAlive: 60,
  maxSubscriptionsPerSession: 100_000,
  maxTopicLevels: 128,
  maxWriteBufferBytes: 4 * 1024 * 1024,
  maxPendingPackets: 1000,
  maxRetainedMessages: 1_000_000,
  maxConnections: 1_000_000,
  maxClientIdLength: 256,
  authFailureBurst: 5,
  authFailureRefillMs: 10_000,
  authCredentialFailureBurst: 20,
  authCredentialFailureRefillMs: 30_000,
  authThrottleMaxEntries: 100_000,
  maxSessionsPerCredential: 100,
  maxHttpConnections: 100_000,
  httpConnectionsCheckMs: 1000,
  proxyHeaderTimeoutMs: 5000,
};
