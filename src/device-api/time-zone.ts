/**
 * `downlink/utc/all/json` (spec §3.4): the current time and the device's time zone, computed
 * with Intl (no zone database of our own). The POSIX rule is derived from the zone's offsets in
 * the current year: its standard and DST offsets and the two transitions.
 */
export interface UtcAnswer {
  readonly tz_name: string;
  readonly tz_rule: string;
  /** Standard offset, minutes east of UTC (without DST). */
  readonly tz_offset: number;
  /** Minutes of DST currently applied (0 if none). */
  readonly dst_offset: number;
  /** Current UTC epoch ms. */
  readonly time: number;
  /** Local time with numeric offset, second precision. */
  readonly iso8601: string;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' });
    if (formatters.size < 1000) formatters.set(tz, f);
  }
  return f;
}

/** True for a zone name Intl knows. */
export function isKnownTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** Offset of `tz` at `at`, minutes east of UTC. */
export function offsetAt(tz: string, at: number): number {
  const name = formatter(tz)
    .formatToParts(at)
    .find((p) => p.type === 'timeZoneName')?.value;
  const m = /^GMT(?:([+-])(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(name ?? '');
  if (m === null || m[1] === undefined) return 0;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -minutes : minutes;
}

interface Transition {
  /** UTC instant of the change. */
  readonly at: number;
  readonly from: number;
  readonly to: number;
}

/** The offset changes in [start, end): found per day, then narrowed to the minute. */
function transitions(tz: string, start: number, end: number): Transition[] {
  const found: Transition[] = [];
  let prev = offsetAt(tz, start);
  for (let day = start + DAY; day <= end; day += DAY) {
    const cur = offsetAt(tz, day);
    if (cur === prev) continue;
    let lo = day - DAY;
    let hi = day;
    while (hi - lo > MINUTE) {
      const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE || lo + MINUTE;
      if (offsetAt(tz, mid) === prev) lo = mid;
      else hi = mid;
    }
    found.push({ at: hi, from: prev, to: cur });
    prev = cur;
  }
  return found;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `+02:00` style. */
function isoOffset(minutes: number): string {
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** POSIX offsets are west-positive: UTC+2 is `-2`, UTC-3:30 is `3:30`. */
function posixOffset(minutes: number): string {
  const west = -minutes;
  const abs = Math.abs(west);
  const text = abs % 60 === 0 ? `${abs / 60}` : `${Math.floor(abs / 60)}:${pad(abs % 60)}`;
  return west < 0 ? `-${text}` : text;
}

/** Locales whose short zone names cover the Americas, Europe, Australia and India. */
const NAME_LOCALES = ['en-US', 'en-GB', 'en-AU', 'en-IN'] as const;

/**
 * The zone's abbreviation at `at` (`EET`, `EDT`) when some locale knows an alphabetic one,
 * else a quoted numeric one (`<+0530>`), valid for any zone.
 */
function posixName(tz: string, at: number, minutes: number): string {
  for (const locale of NAME_LOCALES) {
    const name = new Intl.DateTimeFormat(locale, { timeZone: tz, timeZoneName: 'short' })
      .formatToParts(at)
      .find((p) => p.type === 'timeZoneName')?.value;
    if (name !== undefined && /^[A-Za-z]{3,6}$/.test(name)) return name;
  }
  const abs = Math.abs(minutes);
  const hhmm = abs % 60 === 0 ? pad(abs / 60) : `${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
  return `<${minutes < 0 ? '-' : '+'}${hhmm}>`;
}

/** `Mm.w.d/time` for a transition, in the local time in force before it (POSIX). */
function posixDate(t: Transition): string {
  const local = new Date(t.at + t.from * MINUTE);
  const day = local.getUTCDate();
  const month = local.getUTCMonth();
  const daysInMonth = new Date(Date.UTC(local.getUTCFullYear(), month + 1, 0)).getUTCDate();
  const week = day + 7 > daysInMonth ? 5 : Math.ceil(day / 7);
  const secs = local.getUTCHours() * 3600 + local.getUTCMinutes() * 60;
  const time =
    secs === 7200
      ? ''
      : `/${Math.floor(secs / 3600)}${secs % 3600 === 0 ? '' : `:${pad((secs % 3600) / 60)}`}`;
  return `M${month + 1}.${week}.${local.getUTCDay()}${time}`;
}

interface Rule {
  readonly rule: string;
  readonly standard: number;
}
/** Rules per zone and year: a year of offsets costs a few hundred Intl calls. Bounded. */
const rules = new Map<string, Rule>();
const MAX_CACHED = 1000;

/** The zone's POSIX TZ rule for the year of `at` (e.g. `EET-2EEST,M3.5.0/3,M10.5.0/4`). */
export function posixRule(tz: string, at: number): Rule {
  const key = `${tz}|${new Date(at).getUTCFullYear()}`;
  let rule = rules.get(key);
  if (rule === undefined) {
    rule = computeRule(tz, at);
    if (rules.size >= MAX_CACHED) rules.clear();
    rules.set(key, rule);
  }
  return rule;
}

function computeRule(tz: string, at: number): Rule {
  const year = new Date(at).getUTCFullYear();
  const start = Date.UTC(year, 0, 1);
  const changes = transitions(tz, start, Date.UTC(year + 1, 0, 1));
  const offsets = [offsetAt(tz, start), ...changes.map((c) => c.to)];
  const standard = Math.min(...offsets);
  const dst = Math.max(...offsets);
  const begin = changes.find((c) => c.to === dst && c.from === standard);
  const end = changes.find((c) => c.from === dst && c.to === standard);
  if (begin === undefined || end === undefined || dst === standard) {
    const now = offsetAt(tz, at);
    return { rule: `${posixName(tz, at, now)}${posixOffset(now)}`, standard: now };
  }
  const std = `${posixName(tz, end.at, standard)}${posixOffset(standard)}`;
  const dstOffset = dst - standard === 60 ? '' : posixOffset(dst);
  const dstName = posixName(tz, begin.at, dst);
  return { rule: `${std}${dstName}${dstOffset},${posixDate(begin)},${posixDate(end)}`, standard };
}

/** Local time of `at` in a zone with the given offset: `2024-03-01T16:47:57-04:00`. */
function localIso(at: number, offset: number): string {
  const local = new Date(Math.floor(at / 1000) * 1000 + offset * MINUTE).toISOString().slice(0, 19);
  return `${local}${isoOffset(offset)}`;
}

/** The `downlink/utc/all/json` body for zone `tz` at `at`. */
export function utcAnswer(tz: string, at: number): UtcAnswer {
  const { rule, standard } = posixRule(tz, at);
  const current = offsetAt(tz, at);
  return {
    tz_name: tz,
    tz_rule: rule,
    tz_offset: standard,
    dst_offset: current - standard,
    time: at,
    iso8601: localIso(at, current),
  };
}
