import { DEFAULT_CLUSTER_DEAD_AFTER_MS, DEFAULT_CLUSTER_HEARTBEAT_MS } from './cluster-timings.js';
import { defaultDeviceApiOptions } from './device-api-options.js';
import { defaultLimits, type Limits } from './limits.js';
import { defaultOtaOptions } from './ota-options.js';
import { defaultPlatformOptions } from './platform-options.js';

/** How a raw flag, env or file value is parsed. */
export type OptionKind =
  | 'string'
  | 'path'
  | 'port'
  | 'ports'
  | 'boolean'
  | 'integer'
  | 'logLevel'
  | 'logFormat'
  | 'listeners'
  | 'addresses';

/** One setting, reachable as `--flag`, as `DEVGATE_…` and as a key of the JSON config file. */
export interface OptionSpec {
  /** The ServerConfig field, dotted for nested objects (`auth.aclFile`, `limits.maxPacketSize`). */
  readonly key: string;
  readonly flag: string;
  readonly env: string;
  readonly kind: OptionKind;
  /** Inclusive bounds of an integer. */
  readonly min?: number;
  readonly max?: number;
  /** Human-readable default for help and docs. */
  readonly defaultText: string;
  readonly description: string;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['pretty', 'json'] as const;
/** The listeners by the names `listeners.json` gives them. */
export const LISTENER_NAMES = ['mqtt', 'mqtts', 'http', 'https'] as const;

const UINT16 = 65_535;
const UINT32 = 4_294_967_295;
/** 268 435 455 bytes of Remaining Length plus a 5-byte fixed header (MQTT 5.0 §2.1.4). */
const MAX_MQTT_PACKET = 268_435_460;

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function option(key: string, kind: OptionKind, defaultText: string, description: string): OptionSpec {
  const name = key.slice(key.lastIndexOf('.') + 1);
  const flag = kebab(name);
  return {
    key,
    flag,
    env: `DEVGATE_${flag.replace(/-/g, '_').toUpperCase()}`,
    kind,
    defaultText,
    description,
  };
}

/**
 * Bounds per limit: protocol ranges where the spec has one, else "at least 1" (or 0 where 0
 * means none/off), with a one-line meaning (the full one is in limits.ts).
 */
const LIMIT_SPECS: Readonly<Record<keyof Limits, readonly [number, number, string]>> = {
  maxPacketSize: [64, MAX_MQTT_PACKET, 'largest packet accepted, bytes (v5 Maximum Packet Size)'],
  connectTimeoutMs: [100, 3_600_000, 'ms a connection may take to send CONNECT'],
  incompletePacketTimeoutMs: [100, 3_600_000, 'ms a packet may take from its first byte to its last'],
  receiveMaximum: [1, UINT16, 'unacknowledged QoS 1/2 PUBLISHes a client may send us (v5 Receive Maximum)'],
  maxInflightOutgoing: [1, UINT16, 'unacknowledged QoS 1/2 messages we send per client'],
  maxQueuedMessages: [
    0,
    Number.MAX_SAFE_INTEGER,
    'QoS 1/2 messages queued per session beyond the inflight window',
  ],
  topicAliasMaximum: [0, UINT16, 'topic aliases a client may define towards us (v5)'],
  outboundTopicAliasMaximum: [0, UINT16, 'topic aliases we use towards a client (v5)'],
  maxSessionExpiryInterval: [0, UINT32, 'longest session expiry granted, seconds'],
  maxKeepAlive: [
    0,
    UINT16,
    'v5: a keepalive of 0 or above it is replaced by it (Server Keep Alive); 0 = no cap, seconds',
  ],
  maxSubscriptionsPerSession: [1, Number.MAX_SAFE_INTEGER, 'subscriptions one session may hold'],
  maxTopicLevels: [1, UINT16, 'levels in a topic name or filter'],
  maxWriteBufferBytes: [
    1024,
    Number.MAX_SAFE_INTEGER,
    'socket write backlog above which QoS 0 deliveries are dropped',
  ],
  maxPendingPackets: [1, Number.MAX_SAFE_INTEGER, 'packets read but not processed before reading pauses'],
  maxRetainedMessages: [0, Number.MAX_SAFE_INTEGER, 'retained messages kept in total'],
  maxConnections: [1, Number.MAX_SAFE_INTEGER, 'concurrent connections'],
  // [MQTT-3.1.3-5] servers must accept ids of 1 to 23 characters.
  maxClientIdLength: [23, UINT16, 'longest client id accepted'],
  // Guessing and hoarding (decision 0009).
  authFailureBurst: [0, 1_000_000, 'failed logins one source address may make at once; 0 = no throttling'],
  authFailureRefillMs: [1, 86_400_000, 'ms for a source address to regain one failed login'],
  authCredentialFailureBurst: [1, 1_000_000, 'failed logins against one OAuth client id, all addresses'],
  authCredentialFailureRefillMs: [1, 86_400_000, 'ms for an OAuth client id to regain one failed login'],
  authThrottleMaxEntries: [100, 100_000_000, 'entries each failed-login table keeps (LRU)'],
  maxSessionsPerCredential: [0, Number.MAX_SAFE_INTEGER, 'sessions one credential may hold; 0 = no cap'],
  maxHttpConnections: [1, 10_000_000, 'connections per HTTP/HTTPS listener, WebSocket MQTT included'],
  httpConnectionsCheckMs: [100, 60_000, 'how often HTTP listeners reap timed-out connections, ms'],
  proxyHeaderTimeoutMs: [100, 60_000, 'ms a connection has to send its whole PROXY protocol header'],
};

function limitOption(name: keyof Limits): OptionSpec {
  const [min, max, description] = LIMIT_SPECS[name];
  return { ...option(`limits.${name}`, 'integer', String(defaultLimits[name]), description), min, max };
}

/** Every setting of `devgate broker`, in help order. */
export const OPTIONS: readonly OptionSpec[] = [
  option('dataDir', 'path', './data', 'directory for engine.sqlite, listeners.json and tls/'),
  option('host', 'string', '0.0.0.0', 'address every listener binds to'),
  option('mqttPort', 'port', '1883', 'MQTT over TCP; 0 = any free port, off = disabled'),
  option('mqttsPort', 'port', '8883', 'MQTT over TLS'),
  option('httpPort', 'port', '8080', 'plain HTTP with MQTT over WebSocket at /mqtt'),
  {
    ...option('httpsPorts', 'ports', '443,9443', 'HTTPS + WSS ports, comma-separated'),
    flag: 'https-port',
    env: 'DEVGATE_HTTPS_PORT',
  },
  {
    ...option(
      'socketWorkers',
      'integer',
      '0',
      "processes that hold the MQTT TCP/TLS sockets (0 = this one); past one process's open-files limit",
    ),
    min: 0,
    max: 256,
  },
  option(
    'proxyProtocol',
    'boolean',
    'false',
    'every listener (MQTT TCP/TLS, HTTP/HTTPS with WebSocket) expects a PROXY protocol v1/v2 header first',
  ),
  option(
    'proxyProtocolListeners',
    'listeners',
    '(all with --proxy-protocol)',
    'the listeners that expect the PROXY header instead: comma-separated mqtt, mqtts, http, https',
  ),
  option(
    'proxyProtocolFrom',
    'addresses',
    '(any source)',
    'addresses/CIDR blocks of the balancers; other sources on a PROXY listener are closed',
  ),
  option(
    'tlsCert',
    'path',
    '(self-signed)',
    'PEM certificate chain; reloaded when the file changes and on SIGHUP',
  ),
  option('tlsKey', 'path', '(self-signed)', 'PEM private key of --tls-cert'),
  option(
    'persistence',
    'boolean',
    'false',
    'keep sessions and retained messages in <data-dir>/engine.sqlite',
  ),
  option(
    'databaseUrl',
    'string',
    '(none)',
    'postgres://… URL: every record in PostgreSQL instead of SQLite files in --data-dir (broker: implies --persistence)',
  ),
  bounded(
    option(
      'databasePoolSize',
      'integer',
      '8; engine 4',
      'PostgreSQL connections at most in each pool (platform, engine)',
    ),
    1,
    500,
  ),
  bounded(
    option(
      'databaseQueryTimeoutSec',
      'integer',
      '15',
      'a PostgreSQL statement without an answer after this many seconds fails (the connection is replaced)',
    ),
    1,
    3600,
  ),
  option(
    'redisUrl',
    'string',
    '(none)',
    'redis://… URL: run as one node of a cluster on --database-url and this Redis (needs --database-url)',
  ),
  option(
    'nodeId',
    'string',
    'hostname:mqtt-port',
    "this node's name in the cluster (letters, digits, . _ : -)",
  ),
  bounded(
    option(
      'clusterHeartbeatMs',
      'integer',
      String(DEFAULT_CLUSTER_HEARTBEAT_MS),
      "ms between a cluster node's heartbeats in PostgreSQL",
    ),
    100,
    60_000,
  ),
  bounded(
    option(
      'clusterDeadAfterMs',
      'integer',
      String(DEFAULT_CLUSTER_DEAD_AFTER_MS),
      'ms without a heartbeat after which a cluster node counts as dead (its sessions are adopted; a node that cannot write its own fences itself)',
    ),
    500,
    600_000,
  ),
  option('auth.allowAnonymous', 'boolean', 'false', 'let clients without a username connect'),
  option('auth.passwordFile', 'path', '(none)', 'mosquitto-format password file; reloaded on SIGHUP'),
  option('auth.aclFile', 'path', '(none: allow all)', 'mosquitto-format ACL file; reloaded on SIGHUP'),
  option('logLevel', 'logLevel', 'info', LOG_LEVELS.join('|')),
  option('logFormat', 'logFormat', 'pretty on a terminal, else json', 'pretty|json'),
  option(
    'logConnections',
    'boolean',
    'true',
    'one info line per CONNECT accepted or refused and per disconnect',
  ),
  option(
    'metricsToken',
    'string',
    '(none: open)',
    'bearer token GET /metrics requires (prefer the env variable)',
  ),
  {
    ...option('sysInterval', 'integer', '10', 'seconds between $SYS/broker/… updates; 0 = no $SYS topics'),
    min: 0,
    max: 86_400,
  },
  ...(Object.keys(defaultLimits) as (keyof Limits)[]).map(limitOption),
];

/** `--config <file>` / DEVGATE_CONFIG: the YAML or JSON file the other settings may come from. */
export const CONFIG_OPTION = { flag: 'config', env: 'DEVGATE_CONFIG' } as const;

/** `--print-config`: show the effective settings (secrets masked) and their sources, then exit. */
export const PRINT_CONFIG_FLAG = 'print-config';

function bounded(spec: OptionSpec, min: number, max: number): OptionSpec {
  return { ...spec, min, max };
}

function named(spec: OptionSpec, flag: string): OptionSpec {
  return { ...spec, flag, env: `DEVGATE_${flag.replace(/-/g, '_').toUpperCase()}` };
}

const DAY_SEC = 86_400;
const platformDefault = (name: keyof typeof defaultPlatformOptions): string =>
  String(defaultPlatformOptions[name]);

/** Settings only `devgate start` has: platform rules (config file section `platform`) and `demo`. */
export const PLATFORM_OPTIONS: readonly OptionSpec[] = [
  bounded(
    option(
      'platform.orgDepthLimit',
      'integer',
      platformDefault('orgDepthLimit'),
      'deepest organization level, root = 1',
    ),
    1,
    64,
  ),
  bounded(
    named(
      option(
        'platform.accessTokenTtlSec',
        'integer',
        platformDefault('accessTokenTtlSec'),
        'bearer access token lifetime, seconds',
      ),
      'access-token-ttl',
    ),
    60,
    365 * DAY_SEC,
  ),
  bounded(
    named(
      option(
        'platform.refreshTokenTtlSec',
        'integer',
        platformDefault('refreshTokenTtlSec'),
        'refresh token lifetime, seconds (single use)',
      ),
      'refresh-token-ttl',
    ),
    60,
    365 * DAY_SEC,
  ),
  bounded(
    option(
      'platform.historyRetentionDays',
      'integer',
      platformDefault('historyRetentionDays'),
      'datastream history older than this is pruned, days',
    ),
    1,
    36_500,
  ),
  bounded(
    option(
      'platform.maxDatastreamsPerTemplate',
      'integer',
      platformDefault('maxDatastreamsPerTemplate'),
      'datastreams one template may define',
    ),
    1,
    100_000,
  ),
  bounded(
    named(
      option(
        'platform.sessionIdleSec',
        'integer',
        platformDefault('sessionIdleSec'),
        'a console session unused this long ends, seconds',
      ),
      'session-idle',
    ),
    60,
    DAY_SEC,
  ),
  bounded(
    named(
      option(
        'platform.sessionMaxAgeSec',
        'integer',
        platformDefault('sessionMaxAgeSec'),
        'a console session ends this long after sign-in, seconds',
      ),
      'session-max-age',
    ),
    300,
    30 * DAY_SEC,
  ),
  named(
    option(
      'platform.adminEmail',
      'string',
      'admin@devgate.local',
      'email of the console admin user made on first start',
    ),
    'admin-email',
  ),
  named(
    option(
      'platform.rootOrgName',
      'string',
      'My Organization',
      'name of the root organization made on first start',
    ),
    'org-name',
  ),
  named(
    option(
      'platform.rootOrgTz',
      'string',
      'UTC',
      'IANA time zone of the root organization made on first start',
    ),
    'tz',
  ),
  option(
    'platform.secretKeyFile',
    'path',
    '<data-dir>/secret.key',
    'the key that encrypts device tokens at rest; processes sharing one database share one key',
  ),
  option(
    'demo',
    'boolean',
    'false',
    'also create a demo template and three devices (once) and print how to use them',
  ),
];

/** spec §9 "Device-API limits": `devgate start` accepts packets up to 64 KiB unless told otherwise. */
export const START_MAX_PACKET_SIZE = 64 * 1024;

const deviceApiDefault = (name: keyof typeof defaultDeviceApiOptions): string =>
  String(defaultDeviceApiOptions[name] ?? '(none)');

/** An integer device API setting (config file section `deviceApi`). */
function deviceApiInteger(
  name: keyof typeof defaultDeviceApiOptions,
  flag: string,
  [min, max]: readonly [number, number],
  description: string,
): OptionSpec {
  return bounded(
    named(option(`deviceApi.${name}`, 'integer', deviceApiDefault(name), description), flag),
    min,
    max,
  );
}

/** Device and gateway API limits (spec §9 "Device-API limits"), config file section `deviceApi`. */
export const DEVICE_API_OPTIONS: readonly OptionSpec[] = [
  deviceApiInteger(
    'rateLimitPerSec',
    'device-rate-limit',
    [1, 1_000_000],
    'uplink messages per second per device',
  ),
  deviceApiInteger(
    'rateLimitBurst',
    'device-rate-burst',
    [1, 1_000_000],
    'uplink burst per device, messages',
  ),
  deviceApiInteger(
    'floodDisconnectSec',
    'flood-disconnect-sec',
    [1, 3600],
    'seconds of sustained excess before a flooding device is disconnected',
  ),
  deviceApiInteger(
    'diagIntervalMs',
    'diag-interval-ms',
    [0, 3_600_000],
    'at most one downlink/diag per device per this many ms',
  ),
  deviceApiInteger(
    'gatewayRateLimitPerSec',
    'gateway-rate-limit',
    [1, 10_000_000],
    'uplink messages per second per gateway connection',
  ),
  deviceApiInteger(
    'eventsPerDay',
    'events-per-day',
    [1, 1_000_000_000],
    'events a device may log per UTC day (spec §7.1)',
  ),
  deviceApiInteger(
    'eventIntervalMs',
    'event-interval-ms',
    [0, 86_400_000],
    'least time between two events of the same code from one device, ms',
  ),
  deviceApiInteger(
    'importPointsPerDay',
    'import-points-per-day',
    [1, 1_000_000_000],
    'timestamped points a device may import per UTC day (MQTT, HTTP, Platform API)',
  ),
  deviceApiInteger(
    'httpUpdatesPerDay',
    'http-updates-per-day',
    [1, 1_000_000_000],
    'Device HTTPS API update and batch/update calls per device per UTC day',
  ),
  deviceApiInteger(
    'uploadMaxFiles',
    'upload-max-files',
    [0, 100_000],
    'files kept per device by /external/api/upload, the oldest evicted; 0 = uploads off',
  ),
  deviceApiInteger(
    'uploadMaxBytes',
    'upload-max-bytes',
    [1, 1024 * 1024 * 1024],
    'largest file /external/api/upload accepts, bytes',
  ),
  deviceApiInteger(
    'uploadsPerDay',
    'uploads-per-day',
    [1, 1_000_000_000],
    'file uploads per device per UTC day',
  ),
  deviceApiInteger(
    'liveStreamsMax',
    'live-streams-max',
    [1, 1_000_000],
    'console live streams (GET /api/v1/organization/device/live) open at once, all callers',
  ),
  deviceApiInteger(
    'liveStreamsPerCaller',
    'live-streams-per-caller',
    [1, 1_000_000],
    'live streams one caller (OAuth client or user) may hold open at once',
  ),
  deviceApiInteger(
    'liveStreamBufferBytes',
    'live-stream-buffer-bytes',
    [1024, 64 * 1024 * 1024],
    'bytes a live stream may have waiting for a slow reader before it is closed with overflow',
  ),
  named(
    option(
      'deviceApi.regionUrl',
      'string',
      '(none: never redirect)',
      "this server's public base URL; devices of orgs homed elsewhere get downlink/redirect",
    ),
    'region-url',
  ),
];

/** Blynk.Air settings, config file section `ota`. */
export const OTA_OPTIONS: readonly OptionSpec[] = [
  named(
    option(
      'ota.publicUrl',
      'string',
      'http://<host>:<http port>',
      'base URL devices download firmware from (downlink/ota/json url)',
    ),
    'public-url',
  ),
  bounded(
    named(
      option(
        'ota.maxFirmwareBytes',
        'integer',
        String(defaultOtaOptions.maxFirmwareBytes),
        'largest firmware upload, bytes',
      ),
      'max-firmware-bytes',
    ),
    1024,
    1024 * 1024 * 1024,
  ),
  bounded(
    named(
      option(
        'ota.downloadTokenTtlSec',
        'integer',
        String(defaultOtaOptions.downloadTokenTtlSec),
        'lifetime of a firmware download URL, seconds',
      ),
      'ota-token-ttl',
    ),
    30,
    7 * DAY_SEC,
  ),
  bounded(
    named(
      option(
        'ota.downloadsPerDay',
        'integer',
        String(defaultOtaOptions.downloadsPerDay),
        'firmware downloads per device per 24 h',
      ),
      'ota-downloads-per-day',
    ),
    1,
    10_000,
  ),
];

/**
 * Every setting of `devgate start`: the broker's, minus the file-based auth (the platform
 * authenticates with device tokens and OAuth clients), plus the platform's.
 */
export const START_OPTIONS: readonly OptionSpec[] = [
  // The platform's topic space is the Blynk API: no file auth and no $SYS topics there.
  ...OPTIONS.filter((spec) => !spec.key.startsWith('auth.') && spec.key !== 'sysInterval').map((spec) =>
    spec.key === 'limits.maxPacketSize' ? { ...spec, defaultText: String(START_MAX_PACKET_SIZE) } : spec,
  ),
  ...PLATFORM_OPTIONS,
  ...DEVICE_API_OPTIONS,
  ...OTA_OPTIONS,
];
