import type { ReportQuery, TimeFormat } from './report-query.js';
import type { ReportRow } from './report-rows.js';

/** Column names and types of the JSON answer (ClickHouse-style `{meta, data, rows, …}`, spec §6.2 row 9). */
export function reportMeta(query: ReportQuery): Array<{ name: string; type: string }> {
  return [
    { name: 'ts', type: query.format === 'TS' ? 'UInt64' : 'String' },
    { name: 'pin', type: 'String' },
    { name: 'dataStreamId', type: 'UInt32' },
    { name: 'dataStreamName', type: 'String' },
    { name: 'value', type: query.granularity === 'RAW_DATA' ? 'Dynamic' : 'Float64' },
  ];
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(tzName: string): Intl.DateTimeFormat {
  let formatter = formatters.get(tzName);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: tzName,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    // Bounded: a zone name comes from a request.
    if (formatters.size < 1000) formatters.set(tzName, formatter);
  }
  return formatter;
}

/**
 * A row time: `TS` epoch ms; `ISO_SIMPLE` `2018-06-07 22:01:20`; `ISO_US` `04/10/19 11:45:41 AM`;
 * the two text forms in the requested zone.
 */
export function formatTime(ts: number, format: TimeFormat, tzName: string): number | string {
  if (format === 'TS') return ts;
  const parts: Record<string, string> = {};
  for (const part of formatterOf(tzName).formatToParts(ts)) parts[part.type] = part.value;
  const { year = '', month = '', day = '', minute = '', second = '' } = parts;
  const hour = Number(parts.hour ?? 0);
  if (format === 'ISO_SIMPLE') return `${year}-${month}-${day} ${pad(hour)}:${minute}:${second}`;
  const hour12 = hour % 12 === 0 ? 12 : hour % 12;
  return `${month}/${day}/${year.slice(-2)} ${pad(hour12)}:${minute}:${second} ${hour < 12 ? 'AM' : 'PM'}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** One row as the JSON answer shows it. */
export function jsonRow(row: ReportRow, query: ReportQuery): Record<string, unknown> {
  return {
    ts: formatTime(row.ts, query.format, query.tzName),
    pin: row.pin,
    dataStreamId: row.dataStreamId,
    dataStreamName: row.dataStreamName,
    value: row.value,
  };
}

/** RFC 4180 field: quoted when it holds a comma, quote or line break. */
function csvField(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The report as CSV (the `output=FILE` download), header first, CRLF line ends. */
export function csvOf(rows: readonly ReportRow[], query: ReportQuery): string {
  const lines = [
    reportMeta(query)
      .map((column) => column.name)
      .join(','),
  ];
  for (const row of rows) lines.push(Object.values(jsonRow(row, query)).map(csvField).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
