/** What a management action prints: JSON for `--json`, readable text otherwise. */
export interface Output {
  readonly json: unknown;
  readonly text: string;
}

export interface Column<T> {
  readonly title: string;
  readonly value: (row: T) => unknown;
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value).replace(/[\r\n\t]/g, ' ');
}

/** A plain aligned table with a header row; "(none)" for no rows. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  if (rows.length === 0) return '(none)\n';
  const cells = rows.map((row) => columns.map((column) => cell(column.value(row))));
  const widths = columns.map((column, i) =>
    Math.max(column.title.length, ...cells.map((line) => line[i]?.length ?? 0)),
  );
  const format = (line: readonly string[]): string =>
    line
      .map((text, i) => (i === line.length - 1 ? text : text.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const header = format(columns.map((column) => column.title.toUpperCase()));
  return `${[header, ...cells.map(format)].join('\n')}\n`;
}

/** `key: value` lines for one object, in the given order; absent values left out. */
export function keyValues(pairs: ReadonlyArray<readonly [string, unknown]>): string {
  const shown = pairs.filter(([, value]) => value !== undefined);
  const width = Math.max(0, ...shown.map(([key]) => key.length));
  return `${shown.map(([key, value]) => `${`${key}:`.padEnd(width + 1)} ${cell(value)}`).join('\n')}\n`;
}

/** ISO time for epoch milliseconds (undefined stays undefined). */
export function isoTime(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
