import { refusesEveryone } from '../auth/file-auth.js';
import { ConfigError, loadConfig } from '../config/load.js';
import type { ServerConfig } from '../config/server-config.js';
import { packageVersion } from '../lib/version.js';
import { notFoundHandler } from '../mqtt/transport/http-server.js';
import { createLogger, type Logger, resolveLogFormat } from '../observability/logger.js';
import { Operations, operationsHandler } from '../observability/operations.js';
import { DEFAULT_SYS_INTERVAL_SEC, SysTopics } from '../observability/sys-topics.js';
import { createServer, type DevgateServer } from '../server.js';
import type { DataDirLock } from '../store/data-dir-lock.js';
import { joinClusterIfConfigured } from './cluster-node.js';
import { brokerUsage } from './help.js';
import { type CliIo, ExitCode } from './io.js';
import { operatorOutput } from './operator-output.js';
import { runPrintConfig, wantsPrintConfig } from './print-config-command.js';
import { reloadOnHangup } from './reload-signal.js';
import { preflight, reportStartFailure } from './startup-checks.js';
import { startupSummary } from './summary.js';

function configFrom(argv: readonly string[], io: CliIo): ServerConfig | ExitCode {
  try {
    return loadConfig({ argv, env: io.env, cwd: io.cwd });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr.write(`devgate broker: ${err.message}\nRun 'devgate broker --help' for the options.\n`);
    return ExitCode.Usage;
  }
}

/**
 * The plain broker has no HTTP API; its HTTP(S) ports answer `/metrics`, `/healthz` and `/readyz`
 * (the same code as `devgate start`), and 404 to anything else.
 */
async function start(config: ServerConfig, logger: Logger, io: CliIo): Promise<DevgateServer | ExitCode> {
  let listening: DevgateServer | undefined;
  const operations = new Operations({
    server: () => listening,
    metricsToken: config.metricsToken,
    clustered: config.redisUrl !== undefined,
  });
  try {
    const httpHandler = operationsHandler(operations, notFoundHandler);
    const cluster = await joinClusterIfConfigured(config, logger);
    listening = await createServer(config, {
      logger,
      httpHandler,
      ...(cluster !== undefined && { cluster }),
    });
    const server = listening;
    const sys = startSysTopics(server, config.sysInterval ?? DEFAULT_SYS_INTERVAL_SEC);
    const close = (): Promise<void> => {
      sys?.stop();
      return server.close().finally(() => operations.close());
    };
    return { ...server, close };
  } catch (err) {
    operations.close();
    return reportStartFailure(io, 'broker', err, logger);
  }
}

/** `$SYS/broker/…` every `intervalSec` seconds; none with 0. */
function startSysTopics(server: DevgateServer, intervalSec: number): SysTopics | undefined {
  if (intervalSec === 0) return undefined;
  const sys = new SysTopics(server.broker, { intervalSec, version: packageVersion() });
  sys.start();
  return sys;
}

/**
 * Resolves with the exit code once SIGTERM/SIGINT closed the server gracefully (0) or the
 * close failed (1). A second signal during the close exits at once with 1.
 */
function untilSignal(server: DevgateServer, logger: Logger): Promise<ExitCode> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting without a graceful close');
        process.exit(ExitCode.Failure);
      }
      stopping = true;
      logger.info({ signal }, 'shutting down');
      server.close().then(
        () => resolve(ExitCode.Ok),
        (err: unknown) => {
          logger.error({ err }, 'graceful close failed');
          resolve(ExitCode.Failure);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/** `devgate broker [options]`: the plain MQTT broker. */
export async function runBroker(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(brokerUsage());
    return ExitCode.Ok;
  }
  if (wantsPrintConfig(argv)) return runPrintConfig('broker', argv, io);
  const config = configFrom(argv, io);
  if (typeof config === 'number') return config;
  const format = resolveLogFormat(config.logFormat, io.stdout.isTTY === true);
  const logger = createLogger({ level: config.logLevel, format });
  const say = operatorOutput(format, io);
  const hangup = reloadOnHangup(logger);
  let lock: DataDirLock;
  try {
    lock = await preflight(config, 'broker');
  } catch (err) {
    return reportStartFailure(io, 'broker', err, logger);
  }
  if (refusesEveryone(config.auth)) {
    logger.warn('neither --allow-anonymous nor --password-file given: every client will be refused');
  }
  try {
    const server = await start(config, logger, io);
    if (typeof server === 'number') return server;
    say(startupSummary(packageVersion(), config, server));
    hangup.serve(server);
    const code = await untilSignal(server, logger);
    logger.info({ code }, 'devgate stopped');
    return code;
  } finally {
    // After the stores closed: the next owner never opens them under us.
    lock.release();
  }
}
