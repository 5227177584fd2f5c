import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileAuth, type FileAuth } from './auth/file-auth.js';
import type { AuthThrottle } from './auth/throttle/auth-throttle.js';
import { createAuthThrottle } from './auth/throttle/from-limits.js';
import { throttledAuthenticator } from './auth/throttle/throttled-authenticator.js';
import type { Authenticator, Authorizer } from './broker/auth.js';
import { Broker } from './broker/broker.js';
import type { ClusterRuntime } from './broker/cluster-port.js';
import type { FilterSeal } from './broker/filter-seal.js';
import type { EngineStores } from './broker/store-ports.js';
import {
  databasePoolOptions,
  type ListenerAddresses,
  type ListenerName,
  type ServerConfig,
} from './config/server-config.js';
import type { HttpRequestHandler } from './mqtt/transport/http-server.js';
import { bindAs, type PlannedListener } from './mqtt/transport/listen-error.js';
import { acceptMqttConnection } from './mqtt/transport/mqtt-connection.js';
import { openFilesLimit } from './mqtt/transport/open-files-limit.js';
import { OpenFilesWatch } from './mqtt/transport/open-files-watch.js';
import type { ProxyProtocolSettings } from './mqtt/transport/proxy-protocol/proxy-gate.js';
import { ensureSelfSignedCert } from './mqtt/transport/self-signed.js';
import { SocketWorkerPool } from './mqtt/transport/socket-workers/socket-worker-pool.js';
import { listenTcp } from './mqtt/transport/tcp.js';
import { listenTls } from './mqtt/transport/tls.js';
import { TLS_MIN_VERSION, TlsCredentials, type TlsFiles } from './mqtt/transport/tls-credentials.js';
import type { ConnectionHandler, Listener } from './mqtt/transport/types.js';
import { listenWebSocket } from './mqtt/transport/websocket.js';
import { createLogger, type Logger } from './observability/logger.js';
import { EngineMetrics } from './observability/metrics.js';
import { type ReloadReport, reloader } from './server-reload.js';
import { openPostgresStores } from './store/postgres/index.js';
import { preparePrivateDir, writePrivateFileAtomic } from './store/private-files.js';
import { openSqliteStores } from './store/sqlite/index.js';
import { timeStoreFlushes } from './store/store-timing.js';

export interface ServerDeps {
  readonly logger?: Logger;
  /** Replace the file-based plain-broker auth (e.g. device tokens). */
  readonly authenticator?: Authenticator;
  readonly authorizer?: Authorizer;
  /** Plain HTTP(S) requests on the HTTP listeners (404 until the HTTP API is mounted). */
  readonly httpHandler?: HttpRequestHandler;
  /**
   * Called with the started broker before any listener accepts a connection, so layers that
   * publish through it (device/gateway APIs) are wired before the first client arrives.
   */
  readonly brokerReady?: (broker: Broker) => void | Promise<void>;
  /** How often certificate files are polled for changes (ms). */
  readonly tlsWatchIntervalMs?: number;
  /** Unseals persisted subscriptions whose wire filter held a secret (the Gateway API's tokens). */
  readonly filterSeal?: FilterSeal;
  /** Failed-login throttling shared with the HTTP API; absent: one made from `config.limits`. */
  readonly authThrottle?: AuthThrottle;
  /** This process is one node of a cluster (decision 0029); closed with the server. */
  readonly cluster?: ClusterRuntime;
}

/** A running devgate process: broker plus listeners. */
export interface DevgateServer {
  readonly addresses: ListenerAddresses;
  readonly broker: Broker;
  /** The certificate in use when a TLS listener is enabled (configured or self-signed). */
  readonly tlsCertPath?: string;
  /** True when `tlsCertPath` was generated (self-signed) rather than configured. */
  readonly tlsSelfSigned: boolean;
  /** Present with TLS listeners; emits 'reload' / 'reloadError' when the files change. */
  readonly tls?: TlsCredentials;
  /** Present with `socketWorkers`: the processes that hold the MQTT TCP/TLS sockets. */
  readonly socketWorkers?: SocketWorkerPool;
  /** Present when this process is one node of a cluster. */
  readonly cluster?: ClusterRuntime;
  /**
   * Reads the password/ACL files and the TLS pair again (SIGHUP), keeping every connection; a
   * part whose new files are unusable keeps its previous state. Logs what it did.
   */
  reload(): Promise<ReloadReport>;
  /** Stops accepting, closes the broker (DISCONNECT, flush stores), closes listeners. Idempotent. */
  close(): Promise<void>;
}

export const LISTENERS_FILE = 'listeners.json';

/**
 * With persistence the engine writes through to SQLite (or PostgreSQL with --database-url); without it the broker keeps its state in
 * its own maps and needs no store at all (no copies, no flush barrier on the publish path).
 */
async function openStores(config: ServerConfig, logger: Logger): Promise<EngineStores | undefined> {
  if (config.databaseUrl !== undefined)
    return openPostgresStores(config.databaseUrl, { logger, ...databasePoolOptions(config) });
  return config.persistence ? openSqliteStores(join(config.dataDir, 'engine.sqlite'), { logger }) : undefined;
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writePrivateFileAtomic(path, `${JSON.stringify(value)}\n`);
}

function needsTls(config: ServerConfig): boolean {
  return config.mqttsPort !== null || config.httpsPorts.length > 0;
}

async function tlsFiles(config: ServerConfig, logger: Logger): Promise<TlsFiles & { selfSigned: boolean }> {
  if (config.tlsCert !== undefined && config.tlsKey !== undefined) {
    return { certPath: config.tlsCert, keyPath: config.tlsKey, selfSigned: false };
  }
  const generated = await ensureSelfSignedCert(config.dataDir);
  logger.warn(
    { cert: generated.certPath, created: generated.created },
    'no --tls-cert configured: using a self-signed certificate (development only)',
  );
  return { certPath: generated.certPath, keyPath: generated.keyPath, selfSigned: true };
}

interface ListenerPlan {
  readonly config: ServerConfig;
  readonly onConnection: ConnectionHandler;
  readonly logger: Logger;
  readonly credentials: TlsCredentials | undefined;
  readonly httpHandler: HttpRequestHandler | undefined;
  /** Filled as listeners bind, so a failure half-way can close those already open. */
  readonly started: Listener[];
  /** With `socketWorkers`: the processes that own the MQTT TCP/TLS sockets. */
  readonly pool: SocketWorkerPool | undefined;
}

function tlsMaterial(credentials: TlsCredentials): {
  cert: string;
  key: string;
  minVersion: typeof TLS_MIN_VERSION;
} {
  const { cert, key } = credentials.serverOptions() as { cert: Buffer; key: Buffer };
  return { cert: cert.toString('utf8'), key: key.toString('utf8'), minVersion: TLS_MIN_VERSION };
}

/** `{ proxyProtocol }` when the listener `name` takes PROXY protocol headers (decision 0027), else nothing. */
function proxyOf(config: ServerConfig, name: ListenerName): { proxyProtocol?: ProxyProtocolSettings } {
  if (config.proxyProtocol?.includes(name) !== true) return {};
  const from = config.proxyProtocolFrom;
  return {
    proxyProtocol: {
      timeoutMs: config.limits.proxyHeaderTimeoutMs,
      ...(from === undefined ? {} : { trustedSources: from }),
    },
  };
}

/** MQTT over TCP, in this process or in the socket workers. */
function listenMqttTcp(plan: ListenerPlan, port: number): Promise<Listener> {
  const { config, onConnection, logger, pool } = plan;
  const proxy = proxyOf(config, 'mqtt');
  if (pool !== undefined) return pool.listen({ transport: 'tcp', host: config.host, port, ...proxy });
  return listenTcp({ host: config.host, port, onConnection, logger, ...proxy });
}

/** MQTT over TLS, in this process or in the socket workers (which follow certificate reloads). */
function listenMqttTls(plan: ListenerPlan, port: number, credentials: TlsCredentials): Promise<Listener> {
  const { config, onConnection, logger, pool } = plan;
  const handshakeTimeoutMs = config.limits.connectTimeoutMs;
  const proxy = proxyOf(config, 'mqtts');
  if (pool === undefined) {
    const options = { host: config.host, port, credentials, onConnection, logger, handshakeTimeoutMs };
    return listenTls({ ...options, ...proxy });
  }
  credentials.follow(() => pool.updateTls(tlsMaterial(credentials)));
  const tls = tlsMaterial(credentials);
  return pool.listen({ transport: 'tls', host: config.host, port, tls, handshakeTimeoutMs, ...proxy });
}

async function startListeners(plan: ListenerPlan): Promise<ListenerAddresses> {
  const { config, onConnection, logger, credentials, started } = plan;
  const host = config.host;
  const timeoutMs = config.limits.connectTimeoutMs;
  const track = (listener: Listener): number => {
    started.push(listener);
    return listener.port;
  };
  const web = {
    onConnection,
    logger,
    maxPayload: config.limits.maxPacketSize,
    timeoutMs,
    maxConnections: config.limits.maxHttpConnections,
    connectionsCheckingIntervalMs: config.limits.httpConnectionsCheckMs,
  };
  const httpHandler = plan.httpHandler === undefined ? {} : { httpHandler: plan.httpHandler };
  // A bind failure names the option that asked for the port (start-up probes normally catch it first).
  const bind = (flag: PlannedListener['flag'], port: number, listen: () => Promise<Listener>) =>
    bindAs(host, { flag, port }, listen).then(track);
  const addresses: { mqtt?: number; mqtts?: number; http?: number; https: number[] } = { https: [] };
  const { mqttPort, mqttsPort, httpPort } = config;
  if (mqttPort !== null)
    addresses.mqtt = await bind('--mqtt-port', mqttPort, () => listenMqttTcp(plan, mqttPort));
  if (mqttsPort !== null && credentials !== undefined) {
    addresses.mqtts = await bind('--mqtts-port', mqttsPort, () =>
      listenMqttTls(plan, mqttsPort, credentials),
    );
  }
  if (httpPort !== null) {
    addresses.http = await bind('--http-port', httpPort, () =>
      listenWebSocket({ host, port: httpPort, ...web, ...httpHandler, ...proxyOf(config, 'http') }),
    );
  }
  for (const port of credentials === undefined ? [] : config.httpsPorts) {
    const proxy = proxyOf(config, 'https');
    const listen = () => listenWebSocket({ host, port, credentials, ...web, ...httpHandler, ...proxy });
    addresses.https.push(await bind('--https-port', port, listen));
  }
  return addresses;
}

interface ResolvedAuth {
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  /** The plain broker's files, reloaded on SIGHUP; absent when deps bring both parts. */
  readonly files?: FileAuth;
}

async function resolveAuth(config: ServerConfig, deps: ServerDeps): Promise<ResolvedAuth> {
  if (deps.authenticator !== undefined && deps.authorizer !== undefined) {
    return { authenticator: deps.authenticator, authorizer: deps.authorizer };
  }
  const files = await createFileAuth(config.auth);
  return {
    authenticator: deps.authenticator ?? files.authenticator,
    authorizer: deps.authorizer ?? files.authorizer,
    files,
  };
}

/** The listeners.json shape: bound ports, disabled listeners left out. */
function listenersJson(addresses: ListenerAddresses): Record<string, number | readonly number[]> {
  const { https, ...single } = addresses;
  return https.length === 0 ? { ...single } : { ...single, https };
}

async function startBroker(
  config: ServerConfig,
  deps: ServerDeps,
  { authenticator, authorizer }: ResolvedAuth,
  logger: Logger,
): Promise<Broker> {
  const authThrottle = deps.authThrottle ?? createAuthThrottle(config.limits, logger);
  const metrics = new EngineMetrics();
  const stores = timeStoreFlushes(await openStores(config, logger), metrics);
  const broker = new Broker({
    limits: config.limits,
    authenticator: throttledAuthenticator(authenticator, authThrottle),
    authorizer,
    authThrottle,
    logger,
    stores,
    metrics,
    filterSeal: deps.filterSeal,
    logConnections: config.logConnections !== false,
    cluster: deps.cluster?.port,
  });
  try {
    await broker.start();
    await deps.cluster?.start(broker);
    broker.joinedCluster(); // the other nodes' routes are known: the restore's wills reach them
  } catch (err) {
    await stores?.close().catch(() => undefined);
    await deps.cluster?.close().catch(() => undefined);
    throw err;
  }
  return broker;
}

interface LoadedTls {
  readonly files: TlsFiles & { readonly selfSigned: boolean };
  readonly credentials: TlsCredentials;
}

/** The certificate for mqtts/https, when one of them is enabled. */
async function loadTls(
  config: ServerConfig,
  deps: ServerDeps,
  logger: Logger,
): Promise<LoadedTls | undefined> {
  if (!needsTls(config)) return undefined;
  const files = await tlsFiles(config, logger);
  const interval = deps.tlsWatchIntervalMs === undefined ? {} : { watchIntervalMs: deps.tlsWatchIntervalMs };
  return { files, credentials: await TlsCredentials.load(files, { logger, ...interval }) };
}

/** The socket workers, when configured and an MQTT TCP or TLS listener is on. */
async function startSocketWorkers(
  config: ServerConfig,
  onConnection: ConnectionHandler,
  logger: Logger,
  metrics: EngineMetrics,
): Promise<SocketWorkerPool | undefined> {
  const workers = config.socketWorkers ?? 0;
  if (workers === 0 || (config.mqttPort === null && config.mqttsPort === null)) return undefined;
  const pool = await SocketWorkerPool.start({ workers, onConnection, logger, counts: metrics });
  logger.info({ workers, pids: pool.pids }, 'socket workers started');
  return pool;
}

interface Running {
  readonly broker: Broker;
  readonly listeners: readonly Listener[];
  readonly credentials: TlsCredentials | undefined;
  readonly listenersPath: string;
  readonly pool: SocketWorkerPool | undefined;
  readonly cluster: ClusterRuntime | undefined;
}

/** Stop accepting everywhere first, so nobody connects to a broker that is shutting down. */
async function shutdown(running: Running): Promise<void> {
  for (const listener of running.listeners) listener.stopAccepting();
  running.cluster?.quiesce();
  try {
    await running.broker.close();
  } finally {
    await Promise.all(running.listeners.map((listener) => listener.close()));
    await running.pool?.close();
    await running.cluster?.close();
    running.credentials?.close();
    await rm(running.listenersPath, { force: true });
  }
}

/**
 * The composition root: data dir, stores, auth, broker, then listeners. `<dataDir>/listeners.json`
 * is written once every listener is bound (and removed on close), so scripts can wait for it.
 */
export async function createServer(config: ServerConfig, deps: ServerDeps = {}): Promise<DevgateServer> {
  const logger = deps.logger ?? createLogger({ level: config.logLevel });
  // Owner-only (0700, tightened if open to others, refused if it cannot be): it holds secrets.
  await preparePrivateDir(config.dataDir);
  const listenersPath = join(config.dataDir, LISTENERS_FILE);
  await rm(listenersPath, { force: true });
  const auth = await resolveAuth(config, deps);
  const broker = await startBroker(config, deps, auth, logger);
  try {
    await deps.brokerReady?.(broker);
  } catch (err) {
    await broker.close();
    throw err;
  }
  const started: Listener[] = [];
  let tls: LoadedTls | undefined;
  let pool: SocketWorkerPool | undefined;
  const running = (): Running => ({
    broker,
    listeners: started,
    credentials: tls?.credentials,
    listenersPath,
    pool,
    cluster: deps.cluster,
  });
  try {
    tls = await loadTls(config, deps, logger);
    const credentials = tls?.credentials;
    const watch = new OpenFilesWatch(openFilesLimit(), logger);
    const onConnection: ConnectionHandler = (stream, info) => {
      // With socket workers the sockets are theirs, and each worker keeps below its own limit.
      if (pool === undefined) watch.check(broker.connectionCount);
      acceptMqttConnection(broker, stream, info);
    };
    pool = await startSocketWorkers(config, onConnection, logger, broker.metrics);
    const plan = { config, onConnection, logger, credentials, httpHandler: deps.httpHandler, started, pool };
    const addresses = await startListeners(plan);
    await writeJsonAtomic(listenersPath, listenersJson(addresses));
    logger.info({ listeners: listenersJson(addresses), dataDir: config.dataDir }, 'devgate listening');
    let closing: Promise<void> | undefined;
    return {
      addresses,
      broker,
      ...(tls === undefined ? {} : { tlsCertPath: tls.files.certPath, tls: tls.credentials }),
      tlsSelfSigned: tls?.files.selfSigned ?? false,
      ...(pool === undefined ? {} : { socketWorkers: pool }),
      ...(deps.cluster === undefined ? {} : { cluster: deps.cluster }),
      reload: reloader({ files: auth.files, tls: credentials, logger }),
      close: () => {
        closing ??= shutdown(running());
        return closing;
      },
    };
  } catch (err) {
    await shutdown(running()).catch(() => undefined);
    throw err;
  }
}
