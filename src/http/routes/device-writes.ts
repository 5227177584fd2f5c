import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TIMESTAMP_WINDOW_MS } from '../../device-api/uplink-values.js';
import { NotFoundError, PlatformError, ValidationError } from '../../platform/errors.js';
import type { Datastream, Device, Template } from '../../platform/model.js';
import { coerceJsonValue } from '../../platform/templates/value-typing.js';
import { callerOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { errorResponses, idParam, noContent, operationsOf, query } from '../schemas/common.js';
import {
  datastreamsWriteBody,
  datastreamWriteBody,
  importBatchBody,
  MAX_EVENT_TEXT,
  MAX_IMPORT_POINTS,
  metafieldWriteBody,
  propertyWriteBody,
  triggerEventBody,
} from '../schemas/device-write.js';
import { runtimeOf } from './device-commands.js';
import { dataStreamNotFound, templateOf } from './device-views.js';

const op = operationsOf('device data');
const done = { 204: noContent, ...errorResponses };
const url = '/api/v1/organization/device';
type Scalar = string | number | boolean;

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function datastreamOf(template: Template, id: number): Datastream {
  const ds = template.datastreams.find((d) => d.id === id);
  if (ds === undefined) throw dataStreamNotFound(id);
  return ds;
}

/**
 * The device (404 when missing or out of scope) with its template. `byId` answers a connected
 * device from the platform's device cache, without the store read of `devices.get`; anything it
 * does not find in scope goes through `devices.get`, which gives the 404.
 */
async function scopedDevice(
  ctx: RouteContext,
  request: FastifyRequest,
  deviceId: number,
): Promise<{ device: Device; template: Template }> {
  const caller = callerOf(request);
  const { devices, orgs } = ctx.platform;
  const known = await devices.byId(deviceId);
  const device =
    known !== undefined && orgs.isInScope(caller.orgId, known.orgId)
      ? known
      : await devices.get(caller, deviceId);
  return { device, template: templateOf(ctx, device) };
}

/**
 * Values written by the platform (spec §3.6, §3.9 flow 2): typed and clamped (spec §3.5), stored,
 * and pushed to the device as `downlink/ds/NAME` by the device API's ValueWriteService.
 */
function valueRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const one = op('Set one datastream value (reaches the device as downlink/ds/NAME)', {
    body: datastreamWriteBody,
    response: done,
  });
  app.post<{ Body: { deviceId: number; dataStreamId: number; value: unknown } }>(
    `${url}/datastream`,
    { schema: one },
    async (request, reply) => {
      const { deviceId, dataStreamId, value } = request.body;
      const { device, template } = await scopedDevice(ctx, request, deviceId);
      const ds = datastreamOf(template, dataStreamId);
      await runtimeOf(ctx).values.write(device.id, [{ dataStreamId: ds.id, value }]);
      return reply.code(204).send();
    },
  );
  const many = op('Set several datastream values, keyed by datastream id', {
    body: datastreamsWriteBody,
    response: done,
  });
  app.post<{ Body: { deviceId: number; values: Record<string, unknown> } }>(
    `${url}/datastreams`,
    { schema: many },
    async (request, reply) => {
      const { device, template } = await scopedDevice(ctx, request, request.body.deviceId);
      const writes = Object.entries(request.body.values).map(([id, value]) => ({
        dataStreamId: datastreamOf(template, Number(id)).id,
        value,
      }));
      await runtimeOf(ctx).values.write(device.id, writes);
      return reply.code(204).send();
    },
  );
}

/** A property value as the stored list (spec §5.7 multi-value properties); `[]` erases it. */
function propertyValues(value: unknown): string[] {
  const items: unknown[] = Array.isArray(value) ? value : [value];
  if (!items.every(isScalar)) {
    throw new ValidationError('Property value must be a string, number or boolean, or an array of them.');
  }
  return items.map(String);
}

/** Widget properties (spec §5.7) are UI state: stored, never sent to the device (spec §8 #20). */
function propertyRoute(app: FastifyInstance, ctx: RouteContext): void {
  const devices = ctx.platform.devices;
  const schema = op('Set a widget property of a datastream (stored only)', {
    body: propertyWriteBody,
    response: done,
  });
  app.post<{ Body: { deviceId: number; dataStreamId: number; property: string; value: unknown } }>(
    `${url}/datastream/property`,
    { schema },
    async (request, reply) => {
      const { deviceId, dataStreamId, property, value } = request.body;
      const { device, template } = await scopedDevice(ctx, request, deviceId);
      const ds = datastreamOf(template, dataStreamId);
      await devices.setProperty(device.id, ds.id, property, propertyValues(value));
      return reply.code(204).send();
    },
  );
}

/** Metadata set in the cloud is pushed to the device as `downlink/meta/NAME` (spec §3.3). */
function metafieldRoute(app: FastifyInstance, ctx: RouteContext): void {
  const devices = ctx.platform.devices;
  const schema = op('Set a metadata value (reaches the device as downlink/meta/NAME)', {
    body: metafieldWriteBody,
    response: done,
  });
  app.post<{ Body: { deviceId: number; metaFieldId: number; newValue: unknown } }>(
    `${url}/metafield`,
    { schema },
    async (request, reply) => {
      const { deviceId, metaFieldId, newValue } = request.body;
      const { device, template } = await scopedDevice(ctx, request, deviceId);
      const field = template.metaFields.find((f) => f.id === metaFieldId);
      if (field === undefined) throw new NotFoundError('Meta field is not found.');
      if (!isScalar(newValue)) throw new ValidationError('The provided value for metafield is invalid.');
      const text = String(newValue);
      await devices.setMetaValue(device.id, field.id, text);
      // No broker yet means no connection that could receive it.
      ctx.deviceApi()?.downlinks.publish(device.id, `downlink/meta/${field.name}`, text);
      return reply.code(204).send();
    },
  );
}

/** spec §5.6: logs an occurrence of a template event; description ≤ 300, code + description ≤ 1024. */
function triggerEventRoute(app: FastifyInstance, ctx: RouteContext): void {
  const devices = ctx.platform.devices;
  const schema = op('Log an event for the device', { body: triggerEventBody, response: done });
  app.post<{ Body: { deviceId: number; eventCode: string; eventDescription?: string } }>(
    `${url}/trigger-event`,
    { schema },
    async (request, reply) => {
      const { deviceId, eventCode, eventDescription } = request.body;
      const { device, template } = await scopedDevice(ctx, request, deviceId);
      if (eventCode.length + (eventDescription?.length ?? 0) > MAX_EVENT_TEXT) {
        throw new ValidationError(
          `Event code and description together must be at most ${MAX_EVENT_TEXT} characters.`,
        );
      }
      const event = template.events.find((e) => e.code === eventCode);
      if (event === undefined) throw new NotFoundError('Event with provided code is not found.');
      await devices.logEvent(device.id, event.id, eventDescription ?? event.description);
      return reply.code(204).send();
    },
  );
}

type ImportBody = { deviceId: number; dataStreamId: number; values: Array<{ value: unknown; ts: number }> };

/**
 * `POST …/device/import/batch`: back-filled history, all points or none; a point newer than the
 * current value becomes it, but nothing is sent to the device (history, not a command).
 */
function importRoute(app: FastifyInstance, ctx: RouteContext): void {
  const devices = ctx.platform.devices;
  const schema = op('Import timestamped values of one datastream (history)', {
    body: importBatchBody,
    response: done,
  });
  app.post<{ Body: ImportBody }>(`${url}/import/batch`, { schema }, async (request, reply) => {
    const { deviceId, dataStreamId, values } = request.body;
    const { device, template } = await scopedDevice(ctx, request, deviceId);
    const ds = datastreamOf(template, dataStreamId);
    if (values.length > MAX_IMPORT_POINTS) {
      throw new ValidationError(`Too much data in batch. Maximum batch size is ${MAX_IMPORT_POINTS} points.`);
    }
    const now = ctx.clock.now();
    const points = values.map(({ value, ts }, i) => {
      // spec §6.4: at most one month old (and, as for MQTT, at most one month ahead).
      if (Math.abs(ts - now) > TIMESTAMP_WINDOW_MS) {
        throw new ValidationError(`values[${i}].ts ${ts} is more than one month away from now.`);
      }
      const typed = coerceJsonValue(ds, value);
      if (!typed.ok) throw new ValidationError(`values[${i}]: ${typed.reason}.`);
      return { dataStreamId: ds.id, value: typed.value, ts };
    });
    takeImportPoints(ctx, device.id, points.length);
    await devices.writeValues(device.id, points);
    return reply.code(204).send();
  });
}

/**
 * spec §7.1: a device's timestamped points per day, shared with its own imports (MQTT, Device
 * HTTPS API); over it, 429 (spec §6.4's status for limits). No device API yet: nothing counted.
 */
function takeImportPoints(ctx: RouteContext, deviceId: number, count: number): void {
  const limits = ctx.deviceApi()?.limits;
  if (limits === undefined || count === 0 || limits.importPoints(deviceId, count, false) === count) return;
  throw new PlatformError(
    'LIMIT',
    429,
    `Too many points imported for device ${deviceId} today: at most ${limits.options.importPointsPerDay} per day.`,
  );
}

/** `DELETE …/device/clear` (spec §6.4 "erase all data"); nothing is sent to the device (spec §8 #19). */
function clearRoute(app: FastifyInstance, ctx: RouteContext): void {
  const schema = op('Erase the data of a device: values, history, properties, events', {
    querystring: query({ deviceId: idParam }, ['deviceId']),
    response: done,
  });
  app.delete<{ Querystring: { deviceId: number } }>(`${url}/clear`, { schema }, async (request, reply) => {
    await ctx.platform.devices.clearData(callerOf(request), request.query.deviceId);
    return reply.code(204).send();
  });
}

/** The Platform API writes of spec §6.4 ("Causes downlinks / writes device state"). */
export function deviceWriteRoutes(app: FastifyInstance, ctx: RouteContext): void {
  valueRoutes(app, ctx);
  propertyRoute(app, ctx);
  metafieldRoute(app, ctx);
  triggerEventRoute(app, ctx);
  importRoute(app, ctx);
  clearRoute(app, ctx);
}
