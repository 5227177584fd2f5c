import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino';
import type { ServerConfig } from '../config/server-config.js';

/** The one structured logger type passed through the process (pino). */
export type Logger = PinoLogger;

export type LogLevel = ServerConfig['logLevel'];

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Where JSON lines go; stdout by default. */
  readonly destination?: DestinationStream;
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
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}

/** A logger that drops everything (tests, library use without logging). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
