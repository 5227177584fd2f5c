import { isKnownTimeZone } from '../../../device-api/time-zone.js';
import type { Datastream, Template } from '../../../platform/model.js';
import { DeviceApiError, DeviceApiText, oneOf, type RawQuery } from './device-request.js';
import { datastreamAt, datastreamById, requirePinKey } from './pins.js';

/**
 * The parameters of `GET /external/api/data/get` (spec §6.2 row 9), each with its documented
 * default. A value outside its set is `Request with incorrect parameters`.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export const PERIOD_MS = {
  HOUR: HOUR_MS,
  DAY: DAY_MS,
  WEEK: 7 * DAY_MS,
  MONTH: 30 * DAY_MS,
  THREE_MONTHS: 90 * DAY_MS,
} as const;
export type Period = keyof typeof PERIOD_MS;

/** Bucket length in local time; RAW_DATA keeps every stored point. */
export const GRANULARITY_MS = { RAW_DATA: 0, MINUTE: 60_000, HOURLY: HOUR_MS, DAILY: DAY_MS } as const;
export type Granularity = keyof typeof GRANULARITY_MS;

export const SOURCE_TYPES = ['AVG', 'MIN', 'MAX', 'SUM', 'COUNT'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

export const TIME_FORMATS = ['TS', 'ISO_US', 'ISO_SIMPLE'] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];

export const OUTPUTS = ['FILE', 'JSON'] as const;
export type Output = (typeof OUTPUTS)[number];

export interface ReportQuery {
  readonly period: Period;
  readonly granularity: Granularity;
  readonly source: SourceType;
  readonly tzName: string;
  readonly format: TimeFormat;
  readonly sendEvents: boolean;
  readonly output: Output;
  /** The datastreams reported: the one named by `pin`/`dataStreamId`, or all of the template's. */
  readonly datastreams: readonly Datastream[];
}

function incorrect(): DeviceApiError {
  return new DeviceApiError(DeviceApiText.incorrectParameters);
}

/** A parameter from a closed set (case-sensitive, spec §6.1), or its default when absent. */
function choice<T extends string>(query: RawQuery, name: string, allowed: readonly T[], fallback: T): T {
  const value = oneOf(query, name);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw incorrect();
  return value as T;
}

function datastreamsOf(template: Template, query: RawQuery): readonly Datastream[] {
  const id = oneOf(query, 'dataStreamId');
  const pin = oneOf(query, 'pin');
  if (id === undefined && pin === undefined) return template.datastreams;
  const ds = id !== undefined ? datastreamById(template, id) : datastreamAt(template, requirePinKey(pin));
  if (ds === undefined) throw new DeviceApiError(DeviceApiText.noDatastreamForPin);
  return [ds];
}

/** Reads and checks the report parameters. */
export function reportQueryOf(template: Template, query: RawQuery): ReportQuery {
  const period = choice(query, 'period', Object.keys(PERIOD_MS) as Period[], 'MONTH');
  const granularity = choice(
    query,
    'granularityType',
    Object.keys(GRANULARITY_MS) as Granularity[],
    'RAW_DATA',
  );
  // spec §6.2 row 9: RAW_DATA is not offered for THREE_MONTHS.
  if (granularity === 'RAW_DATA' && period === 'THREE_MONTHS') throw incorrect();
  const tzName = oneOf(query, 'tzName') ?? 'UTC';
  if (!isKnownTimeZone(tzName)) throw incorrect();
  return {
    period,
    granularity,
    source: choice(query, 'sourceType', SOURCE_TYPES, 'AVG'),
    tzName,
    format: choice(query, 'format', TIME_FORMATS, 'TS'),
    sendEvents: choice(query, 'sendEvents', ['true', 'false'], 'false') === 'true',
    output: choice(query, 'output', OUTPUTS, 'FILE'),
    datastreams: datastreamsOf(template, query),
  };
}

/** The parameters as a query string again (for the download link of `output=FILE`). */
export function reportParams(query: ReportQuery): Record<string, string> {
  const params: Record<string, string> = {
    period: query.period,
    granularityType: query.granularity,
    sourceType: query.source,
    tzName: query.tzName,
    format: query.format,
  };
  if (query.datastreams.length === 1 && query.datastreams[0] !== undefined) {
    params.dataStreamId = String(query.datastreams[0].id);
  }
  return params;
}
