import { AuthFileError } from '../auth/errors.js';
import { refusesEveryone } from '../auth/file-auth.js';
import { ConfigError, loadConfig } from '../config/load.js';
import type { ServerConfig } from '../config/server-config.js';
import { notFoundHandler } from '../mqtt/transport/http-server.js';
import { createLogger, type Logger, resolveLogFormat } from '../observability/logger.js';
import { Operations, operationsHandler } from '../observability/operations.js';
import { createServer, type DevgateServer } from '../server.js';
import { DataDirError } from '../store/private-files.js';
import { brokerUsage } from './help.js';
import { type CliIo, ExitCode } from './io.js';
import { operatorOutput } from './operator-output.js';
import { runPrintConfig, wantsPrintConfig } from './print-config-command.js';
import { startupSummary } from './summary.js';
import { packageVersion } from './version.js';

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
  const operations = new Operations({ server: () => listening, metricsToken: config.metricsToken });
  try {
    const httpHandler = operationsHandler(operations, notFoundHandler);
    listening = await createServer(config, { logger, httpHandler });
    const server = listening;
    return { ...server, close: () => server.close().finally(() => operations.close()) };
  } catch (err) {
    operations.close();
    logger.fatal({ err }, 'devgate failed to start');
    io.stderr.write(`devgate broker: failed to start: ${(err as Error).message}\n`);
    return err instanceof AuthFileError || err instanceof DataDirError ? ExitCode.Usage : ExitCode.Failure;
  }
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
  if (refusesEveryone(config.auth)) {
    logger.warn('neither --allow-anonymous nor --password-file given: every client will be refused');
  }
  const server = await start(config, logger, io);
  if (typeof server === 'number') return server;
  say(startupSummary(packageVersion(), config, server));
  const code = await untilSignal(server, logger);
  logger.info({ code }, 'devgate stopped');
  return code;
}
