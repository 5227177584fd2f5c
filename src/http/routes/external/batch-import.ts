import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TIMESTAMP_WINDOW_MS } from '../../../device-api/uplink-values.js';
import type { Datastream, DatastreamValue } from '../../../platform/model.js';
import { coerceJsonValue } from '../../../platform/templates/value-typing.js';
import type { RouteContext } from '../../context.js';
import { MAX_IMPORT_POINTS } from '../../schemas/device-write.js';
import {
  DeviceApiError,
  DeviceApiText,
  hidden,
  markSeen,
  oneOf,
  runtimeOf,
  writeRequestOf,
} from './device-request.js';
import { datastreamAt, requirePinKey } from './pins.js';

interface Point {
  readonly dataStreamId: number;
  readonly value: DatastreamValue;
  readonly ts: number;
}

/** spec §6.2 row 6: the `Content-Type: application/json` header is mandatory. */
function requireJson(request: FastifyRequest): void {
  const type = request.headers['content-type']?.split(';', 1)[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new DeviceApiError(DeviceApiText.unknownContentType);
}

function isEntry(entry: unknown): entry is [number, unknown] {
  return Array.isArray(entry) && entry.length === 2 && Number.isSafeInteger(entry[0]) && entry[0] >= 0;
}

/**
 * `[[ts_ms, value], …]` typed per datastream as JSON (string / number / true|false / [lon, lat]),
 * exactly as `batch_ds` and `timestamped_batch` values are (spec §3.2, §3.5); all or nothing.
 */
function pointsOf(ds: Datastream, body: unknown, now: number): Point[] {
  if (!Array.isArray(body)) throw new DeviceApiError(DeviceApiText.incorrectParameters);
  if (body.length > MAX_IMPORT_POINTS) throw new DeviceApiError(DeviceApiText.tooMuchData);
  return body.map((entry: unknown) => {
    if (!isEntry(entry)) throw new DeviceApiError(DeviceApiText.incorrectParameters);
    const [ts, json] = entry;
    // spec §7.1: at most one month old (and, as on MQTT, at most one month ahead).
    if (Math.abs(ts - now) > TIMESTAMP_WINDOW_MS) {
      throw new DeviceApiError(`Timestamp ${ts} is more than one month away from now.`);
    }
    const typed = coerceJsonValue(ds, json);
    if (!typed.ok) throw new DeviceApiError(DeviceApiText.valueMismatch);
    return { dataStreamId: ds.id, value: typed.value, ts };
  });
}

/** spec §7.1: the device's timestamped points per day (shared with MQTT and the Platform API). */
function takeImportPoints(ctx: RouteContext, deviceId: number, count: number): void {
  const runtime = runtimeOf(ctx);
  if (count === 0 || runtime.limits.importPoints(deviceId, count, false) === count) return;
  const max = runtime.options.importPointsPerDay;
  throw new DeviceApiError(`Too many points imported for this device today: at most ${max} per day.`);
}

/**
 * `POST /external/api/batch/update?token=…&pin=v1` (spec §6.2 row 6): back-filled history of one
 * datastream. As the Platform API import, a point newer than the current value becomes it, and
 * nothing is sent to the device: history, not a command. 200, empty body.
 */
export function batchImportRoute(app: FastifyInstance, ctx: RouteContext): void {
  app.post('/external/api/batch/update', hidden, async (request, reply) => {
    const { query, target } = await writeRequestOf(ctx, request);
    const ds = datastreamAt(target.template, requirePinKey(oneOf(query, 'pin')));
    if (ds === undefined) throw new DeviceApiError(DeviceApiText.noDatastreamForPin);
    requireJson(request);
    const points = pointsOf(ds, request.body, ctx.clock.now());
    takeImportPoints(ctx, target.device.id, points.length);
    if (points.length > 0) await ctx.platform.devices.writeValues(target.device.id, points);
    markSeen(ctx, target.device.id);
    return reply.send();
  });
}
