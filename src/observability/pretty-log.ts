import type { DestinationStream } from 'pino';

const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** Fields every pino record has; the line shows them apart from the key=value pairs. */
const FRAME_KEYS: ReadonlySet<string> = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name']);

/** A bare word stays as is; anything with spaces, quotes or `=` is JSON-quoted so a line splits unambiguously. */
function valueText(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

function timeText(time: unknown): string {
  return typeof time === 'number' ? new Date(time).toISOString() : String(time ?? '');
}

/** An error's stack, indented under its line (error and fatal records carry `err`). */
function stackLines(err: unknown): string {
  if (typeof err !== 'object' || err === null) return '';
  const stack = (err as { stack?: unknown }).stack;
  if (typeof stack !== 'string') return '';
  return stack
    .split('\n')
    .slice(1)
    .map((line) => `\n    ${line.trim()}`)
    .join('');
}

/**
 * One pino JSON record as one readable line: `time LEVEL message key=value …`. An `err` shows
 * its message inline and its stack below. A line that is not JSON is passed through.
 */
export function formatPrettyLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const level = LEVEL_NAMES[record.level as number] ?? String(record.level);
  const parts = [timeText(record.time), level.padEnd(5), String(record.msg ?? '')];
  let stack = '';
  for (const [key, value] of Object.entries(record)) {
    if (FRAME_KEYS.has(key) || value === undefined) continue;
    if (key === 'err' && typeof value === 'object' && value !== null) {
      parts.push(`err=${valueText((value as { message?: unknown }).message ?? value)}`);
      stack = stackLines(value);
      continue;
    }
    parts.push(`${key}=${valueText(value)}`);
  }
  return `${parts.join(' ')}${stack}\n`;
}

/** A pino destination writing each record through `formatPrettyLine` to `out`. */
export function prettyDestination(out: { write(text: string): unknown }): DestinationStream {
  return {
    write(chunk: string): void {
      out.write(formatPrettyLine(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk));
    },
  };
}
