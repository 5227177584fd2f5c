import type { FastifyInstance } from 'fastify';
import { NotFoundError, ValidationError } from '../../platform/errors.js';
import type { Device, DeviceEventRecord } from '../../platform/model.js';
import type { Caller } from '../../platform/services.js';
import { callerOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { idListParam, type PageQuery, pageRequest } from '../params.js';
import { errorResponses, idParam, operationsOf, pageParams, query, timestamp } from '../schemas/common.js';
import { dataStreamValues, templateOf } from './device-views.js';

const op = operationsOf('device data');
const list = { type: 'array', items: { type: 'string', maxLength: 4096 } } as const;

/** spec §6.4: at most 10 devices per batch read. */
export const MAX_BATCH_DEVICES = 10;

const batchItemSchema = {
  type: 'object',
  required: ['deviceId', 'dataStreamValues'],
  properties: {
    deviceId: { type: 'integer' },
    dataStreamValues: { type: 'array', items: { $ref: 'DataStreamValue#' } },
  },
} as const;

const eventSchema = {
  type: 'object',
  required: ['id', 'deviceId', 'eventId', 'eventCode', 'description', 'ts'],
  properties: {
    id: { type: 'integer' },
    deviceId: { type: 'integer' },
    eventId: { type: 'integer' },
    eventCode: { type: 'string' },
    eventType: { type: 'string' },
    description: { type: 'string' },
    ts: timestamp,
  },
} as const;

const eventPageSchema = {
  type: 'object',
  required: ['content', 'totalElements'],
  properties: { content: { type: 'array', items: eventSchema }, totalElements: { type: 'integer' } },
} as const;

/** The device, or undefined when it is missing or outside the caller's scope (both are a 404). */
async function accessible(ctx: RouteContext, caller: Caller, deviceId: number): Promise<Device | undefined> {
  try {
    return await ctx.platform.devices.get(caller, deviceId);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

/** The distinct device ids of a batch request, 1 to {@link MAX_BATCH_DEVICES}. */
function batchDeviceIds(raw: readonly string[]): number[] {
  const ids = [...new Set(idListParam(raw, 'deviceId'))];
  if (ids.length === 0) throw new ValidationError("'deviceIds' is required.");
  if (ids.length > MAX_BATCH_DEVICES)
    throw new ValidationError(`At most ${MAX_BATCH_DEVICES} devices per request.`);
  return ids;
}

/**
 * `GET …/device/datastreams/batch` (spec §6.4): current values of several devices, in request
 * order. Devices that are missing or out of scope are skipped, not an error; `dataStreamIds` a
 * device's template lacks are skipped for that device (devices may use different templates).
 */
function batchRoute(app: FastifyInstance, ctx: RouteContext): void {
  const schema = op('Current values of up to 10 devices; inaccessible devices are skipped', {
    querystring: query(
      {
        deviceIds: { ...list, description: '1,2,… (at most 10)' },
        dataStreamIds: { ...list, description: '1,2 (all when absent)' },
      },
      ['deviceIds'],
    ),
    response: { 200: { type: 'array', items: batchItemSchema }, ...errorResponses },
  });
  app.get<{ Querystring: { deviceIds: string[]; dataStreamIds?: string[] } }>(
    '/api/v1/organization/device/datastreams/batch',
    { schema },
    async (request) => {
      const caller = callerOf(request);
      const deviceIds = batchDeviceIds(request.query.deviceIds);
      const wanted = new Set(idListParam(request.query.dataStreamIds, 'dataStreamId'));
      const items = [];
      for (const deviceId of deviceIds) {
        const device = await accessible(ctx, caller, deviceId);
        if (device === undefined) continue;
        const all = templateOf(ctx, device).datastreams;
        const chosen = wanted.size === 0 ? all : all.filter((ds) => wanted.has(ds.id));
        items.push({ deviceId, dataStreamValues: await dataStreamValues(ctx, device, chosen) });
      }
      return items;
    },
  );
}

interface EventsQuery extends PageQuery {
  deviceId: number;
  from?: number;
  to?: number;
}

/**
 * `GET …/device/events` (spec §5.6, §6.4): the device's event log, newest first, as a page;
 * `eventType` comes from the template's event definition while it still exists.
 */
function eventsRoute(app: FastifyInstance, ctx: RouteContext): void {
  const schema = op('Event log (timeline) of one device, newest first', {
    querystring: query({ deviceId: idParam, from: timestamp, to: timestamp, ...pageParams }, ['deviceId']),
    response: { 200: eventPageSchema, ...errorResponses },
  });
  app.get<{ Querystring: EventsQuery }>('/api/v1/organization/device/events', { schema }, async (request) => {
    const caller = callerOf(request);
    const q = request.query;
    const device = await ctx.platform.devices.get(caller, q.deviceId);
    const page = await ctx.platform.devices.events(caller, device.id, {
      ...(q.from === undefined ? {} : { from: q.from }),
      ...(q.to === undefined ? {} : { to: q.to }),
      ...pageRequest(q),
    });
    const types = new Map(templateOf(ctx, device).events.map((e) => [e.id, e.type]));
    return {
      content: page.content.map((e) => eventView(e, types.get(e.eventId))),
      totalElements: page.totalElements,
    };
  });
}

function eventView(event: DeviceEventRecord, type: string | undefined) {
  return {
    id: event.id,
    deviceId: event.deviceId,
    eventId: event.eventId,
    eventCode: event.code,
    ...(type === undefined ? {} : { eventType: type }),
    description: event.description,
    ts: event.ts,
  };
}

/** Batch value reads and the events timeline (spec §6.4 reads not covered by device-data.ts). */
export function deviceReadRoutes(app: FastifyInstance, ctx: RouteContext): void {
  batchRoute(app, ctx);
  eventsRoute(app, ctx);
}
