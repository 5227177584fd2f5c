import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { defaultLimits, type Limits } from '../../src/config/limits.js';
import type { BrokerAuthConfig, ServerConfig } from '../../src/config/server-config.js';
import type { EngineMetrics } from '../../src/observability/metrics.js';
import { createServer } from '../../src/server.js';

export type DevgateServer = Awaited<ReturnType<typeof createServer>>;
export type ServerDeps = NonNullable<Parameters<typeof createServer>[1]>;

export interface StartOptions {
  readonly limits?: Partial<Limits>;
  readonly persistence?: boolean;
  /** Engine stores on this PostgreSQL database instead of `<dataDir>/engine.sqlite`. */
  readonly databaseUrl?: string;
  readonly auth?: BrokerAuthConfig;
  readonly deps?: ServerDeps;
  /** Reuse a data dir (restart); by default a fresh temp dir is made and removed after the test. */
  readonly dataDir?: string;
  /** Socket worker processes; default from DEVGATE_TEST_SOCKET_WORKERS (0: sockets in process). */
  readonly socketWorkers?: number;
}

/**
 * `DEVGATE_TEST_SOCKET_WORKERS=2 npm test` runs every server of the suite with its MQTT sockets
 * in socket workers, to check that they change nothing a client can see.
 */
export const TEST_SOCKET_WORKERS = Number(process.env.DEVGATE_TEST_SOCKET_WORKERS ?? 0);

/** A running server bound to 127.0.0.1 with every port picked by the OS. */
export interface TestServer {
  readonly server: DevgateServer;
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  readonly metrics: EngineMetrics;
  readonly options: StartOptions;
  /** Idempotent; also run by t.after. */
  close(): Promise<void>;
}

const CLOSE_TIMEOUT_MS = 5000;

function configFor(dataDir: string, options: StartOptions): ServerConfig {
  return {
    dataDir,
    host: '127.0.0.1',
    mqttPort: 0,
    mqttsPort: null,
    httpPort: null,
    httpsPorts: [],
    socketWorkers: options.socketWorkers ?? TEST_SOCKET_WORKERS,
    persistence: options.persistence ?? options.databaseUrl !== undefined,
    ...(options.databaseUrl !== undefined && { databaseUrl: options.databaseUrl }),
    limits: { ...defaultLimits, ...options.limits },
    auth: options.auth ?? { allowAnonymous: true },
    logLevel: 'silent',
  };
}

async function closeWithin(server: DevgateServer, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`server.close() did not finish within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([server.close(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Servers sharing one data dir (a server and its restarts); torn down together, dir last. */
interface Lineage {
  readonly closers: Array<() => Promise<void>>;
}

const lineages = new WeakMap<TestServer, Lineage>();

async function launch(lineage: Lineage, dataDir: string, options: StartOptions): Promise<TestServer> {
  const server = await createServer(configFor(dataDir, options), options.deps);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= closeWithin(server, CLOSE_TIMEOUT_MS);
    return closing;
  };
  lineage.closers.push(close);
  const port = server.addresses.mqtt;
  if (port === undefined) throw new Error('server did not bind an MQTT port');
  const handle: TestServer = {
    server,
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dataDir,
    metrics: server.broker.metrics,
    options,
    close,
  };
  lineages.set(handle, lineage);
  return handle;
}

/** Starts a server for one test; closes it and removes its temp data dir when the test ends. */
export async function startServer(t: TestContext, options: StartOptions = {}): Promise<TestServer> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'devgate-it-')));
  const lineage: Lineage = { closers: [] };
  t.after(async () => {
    try {
      for (const close of lineage.closers) await close();
    } finally {
      if (ownDir) await rm(dataDir, { recursive: true, force: true, maxRetries: 3 });
    }
  });
  return launch(lineage, dataDir, options);
}

/** Closes the server and starts a new one on the same data dir with persistence on (new port). */
export async function restartServer(previous: TestServer, overrides: StartOptions = {}): Promise<TestServer> {
  const lineage = lineages.get(previous);
  if (lineage === undefined) throw new Error('restartServer needs a server made by startServer');
  await previous.close();
  const options = { ...previous.options, ...overrides, persistence: true, dataDir: previous.dataDir };
  return launch(lineage, previous.dataDir, options);
}
