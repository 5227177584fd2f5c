import type { Cli } from './spawn-cli.js';
import { within } from './wait.js';

/** One JSON log record as pino writes it. */
export type LogRecord = Record<string, unknown> & { readonly msg: string; readonly level: number };

/** Every line of `text` parsed as JSON: throws, naming the line, if one is not a JSON record. */
export function jsonRecords(text: string): LogRecord[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as LogRecord;
      } catch {
        throw new Error(`not a JSON log line: ${line}`);
      }
    });
}

/** Resolves with the first stdout line (so far or to come) that `matches`. */
export function untilLine(cli: Cli, matches: (line: string) => boolean, what: string): Promise<string> {
  return within(
    new Promise<string>((resolve) => {
      const check = (): void => {
        // Complete lines only: the last piece may still be arriving.
        const found = cli.output.stdout.split('\n').slice(0, -1).find(matches);
        if (found === undefined) return;
        cli.child.stdout!.off('data', check);
        resolve(found);
      };
      cli.child.stdout!.on('data', check);
      check();
    }),
    cli.timeoutMs,
    `${what} (stdout: ${cli.output.stdout})`,
  );
}

/** Resolves with the first JSON record on stdout with message `msg` whose fields include `fields`. */
export async function untilRecord(
  cli: Cli,
  msg: string,
  fields: Record<string, unknown> = {},
): Promise<LogRecord> {
  const matches = (line: string): boolean => {
    if (!line.startsWith('{')) return false;
    const record = JSON.parse(line) as LogRecord;
    return record.msg === msg && Object.entries(fields).every(([key, value]) => record[key] === value);
  };
  const line = await untilLine(cli, matches, `a "${msg}" record with ${JSON.stringify(fields)}`);
  return JSON.parse(line) as LogRecord;
}
