import { offsetAt } from '../../../device-api/time-zone.js';
import type { Datastream, DatastreamValue, Device, HistoryPoint } from '../../../platform/model.js';
import type { RouteContext } from '../../context.js';
import { pinName } from './pins.js';
import { GRANULARITY_MS, PERIOD_MS, type ReportQuery, type SourceType } from './report-query.js';

/** One report row: a stored point (RAW_DATA) or one bucket's aggregate. */
export interface ReportRow {
  readonly ts: number;
  readonly pin: string;
  readonly dataStreamId: number;
  readonly dataStreamName: string;
  readonly value: DatastreamValue;
}

/** Points read per datastream at most (newest first); older ones are left out of the report. */
export const MAX_SCAN_POINTS = 100_000;
/** Rows in one report at most; `rows_before_limit_at_least` tells how many there were. */
export const MAX_REPORT_ROWS = 10_000;
const PAGE = 1000;

/** The stored points of one datastream in [from, now], newest first, and how many there are. */
async function pointsOf(
  ctx: RouteContext,
  device: Device,
  ds: Datastream,
  from: number,
  to: number,
): Promise<{ points: HistoryPoint[]; total: number }> {
  // The device reads its own history: its organization is the scope.
  const caller = { orgId: device.orgId, actor: `device:${device.id}` };
  const points: HistoryPoint[] = [];
  let total = 0;
  for (let page = 0; points.length < MAX_SCAN_POINTS; page++) {
    const query = { dataStreamId: ds.id, from, to, page, size: PAGE };
    const result = await ctx.platform.devices.history(caller, device.id, query);
    total = result.totalElements;
    points.push(...result.content);
    if (result.content.length < PAGE) break;
  }
  return { points, total };
}

/** A number for aggregation: numbers as they are, Boolean as 1/0; strings and locations have none. */
function numeric(value: DatastreamValue): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return undefined;
}

function aggregate(values: readonly number[], source: SourceType): number {
  switch (source) {
    case 'COUNT':
      return values.length;
    case 'SUM':
      return values.reduce((a, b) => a + b, 0);
    case 'MIN':
      return values.reduce((a, b) => Math.min(a, b));
    case 'MAX':
      return values.reduce((a, b) => Math.max(a, b));
    case 'AVG':
      return values.reduce((a, b) => a + b, 0) / values.length;
    default:
      return exhausted(source);
  }
}

/**
 * Start of the local-time bucket holding a time (buckets follow the zone's offset, e.g. local
 * days). Offsets change at most every quarter hour, so they are looked up once per quarter.
 */
function bucketing(size: number, tzName: string): (ts: number) => number {
  const offsets = new Map<number, number>();
  return (ts) => {
    const quarter = Math.floor(ts / 900_000);
    let offset = offsets.get(quarter);
    if (offset === undefined) {
      offset = offsetAt(tzName, ts) * 60_000;
      offsets.set(quarter, offset);
    }
    return Math.floor((ts + offset) / size) * size - offset;
  };
}

/** Aggregates one datastream's points per bucket; COUNT counts every point, the others numeric ones. */
function buckets(points: readonly HistoryPoint[], query: ReportQuery): Array<[number, number]> {
  const bucketOf = bucketing(GRANULARITY_MS[query.granularity], query.tzName);
  const groups = new Map<number, number[]>();
  for (const point of points) {
    const n = query.source === 'COUNT' ? 1 : numeric(point.value);
    if (n === undefined) continue;
    const start = bucketOf(point.ts);
    const group = groups.get(start);
    if (group === undefined) groups.set(start, [n]);
    else group.push(n);
  }
  return [...groups].map(([start, values]) => [start, aggregate(values, query.source)]);
}

/**
 * The report's rows, oldest first, at most MAX_REPORT_ROWS (the newest ones), with the number of
 * rows there were before that limit.
 */
export async function reportRows(
  ctx: RouteContext,
  device: Device,
  query: ReportQuery,
  now: number,
): Promise<{ rows: ReportRow[]; before: number }> {
  const from = now - PERIOD_MS[query.period];
  let rows: ReportRow[] = [];
  let before = 0;
  for (const ds of query.datastreams) {
    const { points, total } = await pointsOf(ctx, device, ds, from, now);
    const base = { pin: pinName(ds), dataStreamId: ds.id, dataStreamName: ds.name };
    if (query.granularity === 'RAW_DATA') {
      before += total;
      for (const p of points) rows.push({ ts: p.ts, ...base, value: p.value });
    } else {
      const aggregated = buckets(points, query);
      before += aggregated.length;
      for (const [ts, value] of aggregated) rows.push({ ts, ...base, value });
    }
  }
  rows.sort((a, b) => a.ts - b.ts || a.dataStreamId - b.dataStreamId);
  if (rows.length > MAX_REPORT_ROWS) rows = rows.slice(rows.length - MAX_REPORT_ROWS);
  return { rows, before };
}

function exhausted(value: never): never {
  throw new Error(`unexpected source type ${String(value)}`);
}
