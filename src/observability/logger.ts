import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino';
import type { ServerConfig } from '../config/server-config.js';
import { prettyDestination } from './pretty-log.js';

/** The one structured logger type passed through the process (pino). */
export type Logger = PinoLogger;

export type LogLevel = ServerConfig['logLevel'];
export type LogFormat = NonNullable<ServerConfig['logFormat']>;

/** `--log-format`, or by default: pretty for a person at a terminal, JSON lines for a collector. */
export function resolveLogFormat(configured: LogFormat | undefined, stdoutIsTerminal: boolean): LogFormat {
  return configured ?? (stdoutIsTerminal ? 'pretty' : 'json');
}

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Where JSON lines go; stdout by default. */
  readonly destination?: DestinationStream;
  /** `pretty`: each record becomes one readable line, written to `prettyOut` (stdout by default). */
  readonly format?: LogFormat;
  readonly prettyOut?: { write(text: string): unknown };
}

/**
 * A JSON-lines logger. Secrets (passwords, tokens) must never be passed as fields; the redact
 * list is a second line of defence for the obvious names.
 */
export function createLogger(options: LoggerOptions): Logger {
  const settings = {
    name: 'devgate',
    level: options.level,
    redact: { paths: ['password', '*.password', 'token', '*.token'], censor: '[redacted]' },
  };
  const destination =
    options.format === 'pretty'
      ? prettyDestination(options.prettyOut ?? process.stdout)
      : options.destination;
  return destination === undefined ? pino(settings) : pino(settings, destination);
}

/** A logger that drops everything (tests, library use without logging). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
