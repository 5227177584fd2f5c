import { ReasonCode } from '../mqtt/codec/reason-codes.js';
import type { Datastream, DatastreamValue } from '../platform/model.js';
import type { ValueWrite } from '../platform/services.js';
import { coerceJsonValue, parseValue } from '../platform/templates/value-typing.js';
import { diagText } from './diag-texts.js';
import { datastreamNamed, OK, parseJson, refuse, type Uplink, type UplinkDeps } from './uplink-context.js';
import { parseUplinkTopic } from './uplink-topic.js';

/**
 * Uplinks whose every order-sensitive effect happens synchronously when `UplinkService.handle` is
 * called, before its first await: the value write is queued (an erase applied) at call time, and
 * only its durability is awaited. A connection may take its next message meanwhile; keep these
 * handlers free of awaits before their store call.
 */
export function isValueWrite(topic: string): boolean {
  if (topic === 'batch_ds') return true;
  if (!topic.startsWith('ds/')) return false;
  const kind = parseUplinkTopic(topic)?.kind;
  return kind === 'ds' || kind === 'ds-batch' || kind === 'ds-erase';
}

/** spec §3.2 timestamped_batch: timestamps up to one month either side of now. */
export const TIMESTAMP_WINDOW_MS = 31 * 86_400_000;

/** `ds/NAME`: validate, clamp, store with the server time; never echoed (spec §3.2, §3.6). */
export function handleDs(deps: UplinkDeps, up: Uplink, name: string): Promise<ReasonCode> {
  // Not async: the hottest uplink allocates one promise chain link, not a suspended frame.
  const ds = datastreamNamed(up, name);
  if (ds === undefined)
    return Promise.resolve(refuse(up.reply, ReasonCode.TopicNameInvalid, diagText.unknownDatastream(name)));
  const typed = parseValue(ds, up.payload.toString('utf8'));
  if (!typed.ok) return Promise.resolve(refuse(up.reply, ReasonCode.PayloadFormatInvalid, typed.reason));
  return deps.platform.devices
    .writeValues(up.target.device.id, [{ dataStreamId: ds.id, value: typed.value }])
    .then(() => OK);
}

/** `batch_ds`: `{name: value, …}` in one write with one timestamp (spec §3.2). */
export async function handleBatch(deps: UplinkDeps, up: Uplink): Promise<ReasonCode> {
  const json = parseJson(up.payload);
  if (!json.ok) return refuse(up.reply, ReasonCode.PayloadFormatInvalid, diagText.badJson('batch_ds'));
  const body = json.value;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return refuse(up.reply, ReasonCode.PayloadFormatInvalid, diagText.batchNotObject());
  const writes: ValueWrite[] = [];
  const problems: Array<{ code: ReasonCode; text: string }> = [];
  for (const [name, raw] of Object.entries(body)) {
    const ds = datastreamNamed(up, name);
    if (ds === undefined) {
      problems.push({ code: ReasonCode.TopicNameInvalid, text: diagText.unknownDatastream(name) });
      continue;
    }
    const typed = coerceJsonValue(ds, raw);
    if (typed.ok) writes.push({ dataStreamId: ds.id, value: typed.value });
    else problems.push({ code: ReasonCode.PayloadFormatInvalid, text: typed.reason });
  }
  if (writes.length > 0) await deps.platform.devices.writeValues(up.target.device.id, writes);
  const first = problems[0];
  if (first === undefined) return OK;
  up.reply.diag(problems.length > 1 ? `${first.text} (+${problems.length - 1} more)` : first.text);
  if (writes.length > 0) return OK;
  return problems.some((p) => p.code === ReasonCode.PayloadFormatInvalid)
    ? ReasonCode.PayloadFormatInvalid
    : ReasonCode.TopicNameInvalid;
}

type Point = { readonly ts: number; readonly value: DatastreamValue };

/** Types `[[ts, value], …]`; counts what was dropped and why. */
function typedPoints(ds: Datastream, items: readonly unknown[], now: number) {
  const points: Point[] = [];
  let outside = 0;
  let malformed = 0;
  let firstReason: string | undefined;
  for (const item of items) {
    const [ts, raw] = Array.isArray(item) && item.length === 2 ? item : [undefined, undefined];
    if (typeof ts !== 'number' || !Number.isSafeInteger(ts)) {
      malformed++;
      continue;
    }
    if (Math.abs(ts - now) > TIMESTAMP_WINDOW_MS) {
      outside++;
      continue;
    }
    const typed = coerceJsonValue(ds, raw);
    if (typed.ok) points.push({ ts, value: typed.value });
    else {
      malformed++;
      firstReason ??= typed.reason;
    }
  }
  return { points, outside, malformed, firstReason };
}

/**
 * `ds/NAME/timestamped_batch`: `[[ts_ms, value], …]` within ±1 month (spec §3.2), at most the
 * device's daily import allowance (spec §7.1; the rest dropped with a diag, none left: 0x97).
 */
export async function handleTimestamped(deps: UplinkDeps, up: Uplink, name: string): Promise<ReasonCode> {
  const ds = datastreamNamed(up, name);
  if (ds === undefined)
    return refuse(up.reply, ReasonCode.TopicNameInvalid, diagText.unknownDatastream(name));
  const json = parseJson(up.payload);
  if (!json.ok)
    return refuse(
      up.reply,
      ReasonCode.PayloadFormatInvalid,
      diagText.badJson(`ds/${name}/timestamped_batch`),
    );
  if (!Array.isArray(json.value))
    return refuse(up.reply, ReasonCode.PayloadFormatInvalid, diagText.timestampedNotArray());
  const { points, outside, malformed, firstReason } = typedPoints(ds, json.value, deps.clock.now());
  const deviceId = up.target.device.id;
  // spec §7.1: the device's points of the day are capped; what is left of it is stored.
  const granted = points.length === 0 ? 0 : deps.limits.importPoints(deviceId, points.length, true);
  if (granted > 0) {
    const writes = points.slice(0, granted).map((p) => ({ dataStreamId: ds.id, value: p.value, ts: p.ts }));
    await deps.platform.devices.writeValues(deviceId, writes);
  }
  if (granted < points.length) {
    const max = deps.limits.options.importPointsPerDay;
    up.reply.diag(diagText.importPerDay(points.length - granted, max));
    return granted === 0 ? ReasonCode.QuotaExceeded : OK;
  }
  if (malformed > 0) up.reply.diag(firstReason ?? diagText.badPoints(malformed));
  else if (outside > 0) up.reply.diag(diagText.pointsOutsideWindow(outside));
  return points.length === 0 && malformed > 0 ? ReasonCode.PayloadFormatInvalid : OK;
}

/** `ds/NAME/erase`: the current value goes; history stays; no downlink (spec §8 #19). */
export async function handleErase(deps: UplinkDeps, up: Uplink, name: string): Promise<ReasonCode> {
  const ds = datastreamNamed(up, name);
  if (ds === undefined)
    return refuse(up.reply, ReasonCode.TopicNameInvalid, diagText.unknownDatastream(name));
  await deps.platform.devices.eraseValue(up.target.device.id, ds.id);
  return OK;
}
