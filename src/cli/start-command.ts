import { join } from 'node:path';
import {
  createPlatformAuthenticator,
  createPlatformAuthorizer,
  type PlatformAdapters,
} from '../auth/platform-authenticator.js';
import { createAuthThrottle } from '../auth/throttle/from-limits.js';
import { ConfigError } from '../config/load.js';
import { loadStartConfig, type StartConfig } from '../config/start-config.js';
import { createDeviceAdapter } from '../device-api/device-adapter.js';
import { createDeviceApiRuntime } from '../device-api/runtime.js';
import type { DeviceApiRuntime } from '../device-api/types.js';
import { createGatewayAdapter } from '../gateway-api/gateway-adapter.js';
import { gatewayFilterSeal } from '../gateway-api/sealed-filters.js';
import { buildHttpApp, toRequestHandler } from '../http/app.js';
import { LiveStreams } from '../http/live/live-streams.js';
import { systemClock } from '../lib/clock.js';
import { loadOrCreateKeyFile } from '../lib/secret-key-file.js';
import { packageVersion } from '../lib/version.js';
import { createLogger, type Logger, resolveLogFormat } from '../observability/logger.js';
import { type AdminBootstrap, bootstrapAdmin, writePrivateJson } from '../platform/admin-bootstrap.js';
import { openPlatform, type Platform } from '../platform/platform.js';
import { createServer, type DevgateServer } from '../server.js';
import type { DataDirLock } from '../store/data-dir-lock.js';
import { preparePrivateDir } from '../store/private-files.js';
import { joinClusterIfConfigured } from './cluster-node.js';
import { DEMO_FILE, ensureDemoStatus } from './demo.js';
import { connectHost, demoCommands, demoReminder, demoText } from './demo-commands.js';
import { type RunningFeedRelay, relayDeviceFeedIfClustered } from './feed-relay-node.js';
import { deviceUploads, openOta, publicUrlOf } from './file-services.js';
import { startUsage } from './help.js';
import { type CliIo, ExitCode } from './io.js';
import { operatorOutput } from './operator-output.js';
import { runPrintConfig, wantsPrintConfig } from './print-config-command.js';
import { type HangupReload, reloadOnHangup } from './reload-signal.js';
import { startSummary } from './start-summary.js';
import { preflight, reportStartFailure } from './startup-checks.js';
import { openStorageBackend, type StorageBackend } from './storage-backend.js';

/** Something to close on shutdown, last opened first. */
type Closer = () => Promise<void> | void;

async function closeAll(closers: Closer[], logger: Logger): Promise<boolean> {
  let ok = true;
  for (const close of closers.reverse()) {
    try {
      await close();
    } catch (err) {
      ok = false;
      logger.error({ err }, 'close failed');
    }
  }
  return ok;
}

/** Resolves once SIGTERM/SIGINT arrived; a second signal exits at once with 1. */
function nextSignal(logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (received) {
        logger.warn({ signal }, 'second signal: exiting without a graceful close');
        process.exit(ExitCode.Failure);
      }
      received = true;
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

interface OpenedData {
  readonly platform: Platform;
  readonly backend: StorageBackend;
  readonly tokenKey: Buffer;
}

async function openDataDir(config: StartConfig, logger: Logger): Promise<OpenedData> {
  const { dataDir } = config.server;
  // Owner-only (tightened if open to others, refused if it cannot be): it holds the token key,
  // the credentials and the databases.
  await preparePrivateDir(dataDir);
  const { key, created } = await loadOrCreateKeyFile(config.secretKeyFile);
  if (created) {
    logger.info(
      { file: config.secretKeyFile },
      'created the secret key file (keep it with the database: it decrypts device tokens)',
    );
  }
  const backend = await openStorageBackend(config, key, logger);
  const platform = await openPlatform({
    stores: backend.platform,
    options: config.platform,
    logger,
    tokenKey: key,
  });
  return { platform, backend, tokenKey: key };
}

async function printDemo(
  platform: Platform,
  config: StartConfig,
  server: DevgateServer,
  admin: AdminBootstrap,
): Promise<string> {
  const { demo, created } = await ensureDemoStatus(platform, { orgId: admin.root.id, actor: 'system' });
  const { mqtt, http } = server.addresses;
  const groups = demoCommands(demo, {
    host: connectHost(config.server.host),
    ...(mqtt === undefined ? {} : { mqttPort: mqtt }),
    ...(http === undefined ? {} : { httpPort: http }),
    admin: admin.credentials,
  });
  const path = join(config.server.dataDir, DEMO_FILE);
  await writePrivateJson(path, { ...demo, commands: groups });
  // Tokens and the admin secret are printed once, when created; later starts say where they are.
  return created ? demoText(demo, groups, path) : demoReminder(path, admin.credentialsPath);
}

const PRUNE_EVERY_MS = 3_600_000;

/**
 * Deletes history older than --history-retention-days and expired console sessions, now and every
 * hour; returns the stopper.
 */
function schedulePruning(platform: Platform, logger: Logger): Closer {
  const prune = (): void => {
    platform.devices.pruneHistory(Date.now()).then(
      (removed) => {
        if (removed > 0) logger.info({ removed }, 'pruned datastream history');
      },
      (err: unknown) => logger.error({ err }, 'history pruning failed'),
    );
    platform.sessions
      .pruneExpired(Date.now())
      .catch((err: unknown) => logger.error({ err }, 'session pruning failed'));
  };
  prune();
  const timer = setInterval(prune, PRUNE_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** A started platform server: what `devgate start` runs until a signal (also used by tests). */
export interface RunningPlatform {
  readonly server: DevgateServer;
  readonly platform: Platform;
  readonly admin: AdminBootstrap;
  /** Closes the listeners, the HTTP app and the database; false when a part failed to close. */
  close(): Promise<boolean>;
}

/**
 * Opens the data directory, bootstraps the root org and admin client, and starts the listeners
 * with the HTTP API and the platform authenticator. On failure, whatever was opened is closed.
 */
export async function startPlatform(config: StartConfig, logger: Logger): Promise<RunningPlatform> {
  const closers: Closer[] = [];
  try {
    const { platform, backend, tokenKey } = await openDataDir(config, logger);
    closers.push(() => platform.close());
    closers.push(schedulePruning(platform, logger));
    const admin = await bootstrapAdmin(platform, config.server.dataDir, config.rootOrg, config.adminEmail);
    // The device/gateway APIs publish through the broker, which exists once createServer has
    // started it; brokerReady wires them before the first connection is accepted.
    let runtime: DeviceApiRuntime | undefined;
    const ready = (): DeviceApiRuntime => {
      if (runtime === undefined) throw new Error('device API not started');
      return runtime;
    };
    const adapters: PlatformAdapters = {
      device: (device) => createDeviceAdapter(ready(), device),
      gatewayDevice: (device) => createGatewayAdapter(ready(), { kind: 'gateway-device', device }),
      oauthClient: (client, mqttClientId) =>
        createGatewayAdapter(ready(), { kind: 'oauth-client', client, mqttClientId }),
    };
    // Set once every listener is bound: /readyz and /metrics look at the running server.
    let listening: DevgateServer | undefined;
    const publicUrl = publicUrlOf(config, () => listening);
    const ota = await openOta(config, backend, platform, tokenKey, logger, publicUrl);
    closers.push(() => ota.close());
    // One failed-login throttle for MQTT and HTTP: a guesser gains nothing by switching protocol.
    const authThrottle = createAuthThrottle(config.server.limits, logger);
    const liveStreams = new LiveStreams({
      maxStreams: config.deviceApi.liveStreamsMax,
      maxStreamsPerCaller: config.deviceApi.liveStreamsPerCaller,
      maxBufferedBytes: config.deviceApi.liveStreamBufferBytes,
    });
    // In a cluster, set once the feed relay runs: presence answers cover every node's devices.
    let relay: RunningFeedRelay | undefined;
    const presence = {
      isOnline: (id: number) =>
        (runtime?.presence.isOnline(id) ?? false) || (relay?.onlineElsewhere(id) ?? false),
    };
    const app = await buildHttpApp({
      authThrottle,
      platform,
      logger,
      deviceApi: () => runtime,
      presence,
      server: () => listening,
      metricsToken: config.server.metricsToken,
      clustered: config.server.redisUrl !== undefined,
      deviceFeedRelay: () => relay?.counts,
      ota: { service: ota, maxFirmwareBytes: config.ota.maxFirmwareBytes },
      uploads: deviceUploads(config, backend, publicUrl),
      liveStreams,
    });
    closers.push(() => app.close());
    relay = await relayDeviceFeedIfClustered(config.server, platform.feed, logger);
    if (relay !== undefined) closers.push(() => relay?.close());
    const cluster = await joinClusterIfConfigured(config.server, logger);
    const server = await createServer(config.server, {
      ...(cluster !== undefined && { cluster }),
      logger,
      authThrottle,
      authenticator: createPlatformAuthenticator(platform, logger, adapters),
      authorizer: createPlatformAuthorizer(),
      filterSeal: gatewayFilterSeal(platform),
      httpHandler: toRequestHandler(app),
      brokerReady: (broker) => {
        runtime = createDeviceApiRuntime({
          platform,
          broker,
          options: config.deviceApi,
          clock: systemClock,
          logger,
        });
        closers.push(() => runtime?.close());
        // A shipment started here offers the firmware to devices online on any node.
        const { downlinks, deviceInfoListeners } = runtime;
        ota.attach({ downlinks, presence, deviceInfoListeners });
      },
    });
    listening = server;
    closers.push(() => server.close());
    // Closers run last first: live streams end cleanly before the listeners drop connections.
    closers.push(() => liveStreams.close());
    let closing: Promise<boolean> | undefined;
    return { server, platform, admin, close: () => (closing ??= closeAll(closers, logger)) };
  } catch (err) {
    await closeAll(closers, logger);
    throw err;
  }
}

function configFrom(argv: readonly string[], io: CliIo): StartConfig | ExitCode {
  try {
    return loadStartConfig({ argv, env: io.env, cwd: io.cwd });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr.write(`devgate start: ${err.message}\nRun 'devgate start --help' for the options.\n`);
    return ExitCode.Usage;
  }
}

/** `devgate start [options]`: the platform (HTTP API, device tokens, OAuth clients) on the broker. */
export async function runStart(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(startUsage());
    return ExitCode.Ok;
  }
  if (wantsPrintConfig(argv)) return runPrintConfig('start', argv, io);
  const config = configFrom(argv, io);
  if (typeof config === 'number') return config;
  const format = resolveLogFormat(config.server.logFormat, io.stdout.isTTY === true);
  const logger = createLogger({ level: config.server.logLevel, format });
  const say = operatorOutput(format, io);
  const signal = nextSignal(logger);
  const hangup = reloadOnHangup(logger);
  let lock: DataDirLock | undefined;
  try {
    lock = await preflight(config.server, 'start');
    return await serve(config, logger, io, say, signal, hangup);
  } catch (err) {
    return reportStartFailure(io, 'start', err, logger);
  } finally {
    // After the databases closed: the next owner never opens them under us.
    lock?.release();
  }
}

/** Starts the platform on the checked configuration and runs it until a signal. */
async function serve(
  config: StartConfig,
  logger: Logger,
  io: CliIo,
  say: (text: string) => void,
  signal: Promise<NodeJS.Signals>,
  hangup: HangupReload,
): Promise<ExitCode> {
  const running = await startPlatform(config, logger);
  hangup.serve(running.server);
  try {
    say(startSummary(packageVersion(), config, running.server, running.admin));
    if (config.demo) say(`\n${await printDemo(running.platform, config, running.server, running.admin)}`);
    say('Press Ctrl+C to stop.\n');
  } catch (err) {
    logger.fatal({ err }, 'devgate failed to start');
    io.stderr.write(`devgate start: failed to start: ${(err as Error).message}\n`);
    await running.close();
    return ExitCode.Failure;
  }
  logger.info({ signal: await signal }, 'shutting down');
  const code = (await running.close()) ? ExitCode.Ok : ExitCode.Failure;
  logger.info({ code }, 'devgate stopped');
  return code;
}
