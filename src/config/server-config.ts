import type { Limits } from './limits.js';
import type { LISTENER_NAMES } from './options.js';

/** A listener by its `listeners.json` name. */
export type ListenerName = (typeof LISTENER_NAMES)[number];

/** Plain-broker authentication settings (`devgate broker`). */
export interface BrokerAuthConfig {
  /**
   * Accept clients that send no username (mosquitto 2 `allow_anonymous`). A client that sends a
   * username must still match the password file when one is given.
   */
  readonly allowAnonymous: boolean;
  /** mosquitto-style `user:hash` file (`$7$` PBKDF2-SHA512 or `$6$` salted SHA-512 entries). */
  readonly passwordFile?: string;
  /** mosquitto-style ACL file (`user`, `topic [read|write|readwrite|deny]`, `pattern`). */
  readonly aclFile?: string;
}

/** Everything a listening devgate process needs. Port 0 picks a free port; null disables a listener. */
export interface ServerConfig {
  readonly dataDir: string;
  readonly host: string;
  readonly mqttPort: number | null;
  readonly mqttsPort: number | null;
  readonly httpPort: number | null;
  readonly httpsPorts: readonly number[];
  /**
   * Child processes that own the MQTT TCP and TLS sockets and relay their bytes (decision 0006);
   * 0 or absent: this process owns them. WebSocket connections stay in this process.
   */
  readonly socketWorkers?: number;
  /**
   * The listeners whose connections start with a PROXY protocol header naming the client
   * (decision 0027); absent or empty: none.
   */
  readonly proxyProtocol?: readonly ListenerName[];
  /** Where connections to those listeners may come from (addresses, CIDR blocks); absent: anywhere. */
  readonly proxyProtocolFrom?: readonly string[];
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  /** Persist sessions, queued/in-flight messages and retained messages in `<dataDir>/engine.sqlite`. */
  readonly persistence: boolean;
  /**
   * `postgres://…`: the engine's sessions and retained messages live in this PostgreSQL database
   * instead of `<dataDir>/engine.sqlite` (persistence on). Plain broker only (decision 0018).
   */
  readonly databaseUrl?: string;
  /**
   * `redis://…`: this process is one node of a cluster: the nodes share `databaseUrl` and this
   * Redis, which carries messages and routes between them (decision 0029).
   */
  readonly redisUrl?: string;
  /** This node's name in the cluster; absent: hostname:mqtt-port. */
  readonly nodeId?: string;
  /** Between a cluster node's heartbeats; absent: 2000 ms. */
  readonly clusterHeartbeatMs?: number;
  /** A cluster node silent this long counts as dead; absent: 10 000 ms. At least twice the heartbeat. */
  readonly clusterDeadAfterMs?: number;
  /** Connections at most in each PostgreSQL pool (platform, engine); absent: 8. */
  readonly databasePoolSize?: number;
  /** A PostgreSQL statement without an answer after this many seconds fails; absent: 15. */
  readonly databaseQueryTimeoutSec?: number;
  readonly limits: Limits;
  readonly auth: BrokerAuthConfig;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `pretty` (one readable line per record) or `json` lines; absent: pretty on a terminal. */
  readonly logFormat?: 'pretty' | 'json';
  /** Info lines per CONNECT accepted/refused and per disconnect; absent = true. */
  readonly logConnections?: boolean;
  /** When set, `GET /metrics` requires `Authorization: Bearer <metricsToken>`. */
  readonly metricsToken?: string;
  /** `devgate broker`: seconds between `$SYS/broker/…` updates; 0 = none; absent = the default (10). */
  readonly sysInterval?: number;
}

/** Bound ports, as printed at start-up and written to `<dataDir>/listeners.json`. */
export interface ListenerAddresses {
  readonly mqtt?: number;
  readonly mqtts?: number;
  readonly http?: number;
  readonly https: readonly number[];
}

/** The pool settings of `--database-pool-size` / `--database-query-timeout-sec`, as the stores take them. */
export function databasePoolOptions(config: ServerConfig): {
  maxConnections?: number;
  queryTimeoutMs?: number;
} {
  return {
    ...(config.databasePoolSize !== undefined && { maxConnections: config.databasePoolSize }),
    ...(config.databaseQueryTimeoutSec !== undefined && {
      queryTimeoutMs: config.databaseQueryTimeoutSec * 1000,
    }),
  };
}
