import type { LogFormat } from '../observability/logger.js';
import type { CliIo } from './io.js';

/**
 * Where the text written for the person starting devgate goes (start-up summary, demo block,
 * "Press Ctrl+C"). With pretty logs it shares stdout with them; with JSON logs stdout carries
 * only JSON records (the server's "devgate listening" record says what the summary says), so the
 * text goes to stderr.
 */
export function operatorOutput(format: LogFormat, io: CliIo): (text: string) => void {
  const out = format === 'json' ? io.stderr : io.stdout;
  return (text) => {
    out.write(text);
  };
}
