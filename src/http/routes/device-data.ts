import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../../platform/errors.js';
import type { Datastream, DatastreamValue, Template } from '../../platform/model.js';
import { callerOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { idListParam, listParam, type PageQuery, pageRequest, parsePin } from '../params.js';
import { errorResponses, idParam, operationsOf, pageParams, query, timestamp } from '../schemas/common.js';
import { historyPageSchema } from '../schemas/device.js';
import { onlineSchema } from '../schemas/device-write.js';
import { dataStreamNotFound, dataStreamValues, metaFieldValues, pinKey, templateOf } from './device-views.js';

const op = operationsOf('device data');
const list = { type: 'array', items: { type: 'string', maxLength: 4096 } } as const;

interface HistoryQuery extends PageQuery {
  deviceId: number;
  dataStreamId?: number;
  pin?: string;
  from?: number;
  to?: number;
}

/** The datastream a history query names, by id or by pin; exactly one of the two. */
function historyStream(template: Template, q: HistoryQuery): Datastream {
  if ((q.dataStreamId === undefined) === (q.pin === undefined)) {
    throw new ValidationError("Exactly one of 'dataStreamId' or 'pin' is required.");
  }
  if (q.dataStreamId !== undefined) {
    const ds = template.datastreams.find((d) => d.id === q.dataStreamId);
    if (ds === undefined) throw dataStreamNotFound(q.dataStreamId);
    return ds;
  }
  const pin = parsePin(q.pin ?? '');
  const ds = template.datastreams.find((d) => d.pin === pin);
  if (ds === undefined) throw dataStreamNotFound(pinKey(pin));
  return ds;
}

/** The datastreams named by `pins` (all when empty). */
function byPins(template: Template, pins: readonly string[]): readonly Datastream[] {
  if (pins.length === 0) return template.datastreams;
  return pins.map((text) => {
    const pin = parsePin(text);
    const ds = template.datastreams.find((d) => d.pin === pin);
    if (ds === undefined) throw dataStreamNotFound(pinKey(pin));
    return ds;
  });
}

function byIds(template: Template, ids: readonly number[]): readonly Datastream[] {
  if (ids.length === 0) return template.datastreams;
  return ids.map((id) => {
    const ds = template.datastreams.find((d) => d.id === id);
    if (ds === undefined) throw dataStreamNotFound(id);
    return ds;
  });
}

const historyQuery = query(
  {
    deviceId: idParam,
    dataStreamId: idParam,
    pin: { type: 'string', maxLength: 16 },
    from: timestamp,
    to: timestamp,
    ...pageParams,
  },
  ['deviceId'],
);

/** `GET …/device/datastream/history` (spec §6.4): `{content: [{createdAt, value}], totalElements}`, newest first. */
function historyRoute(app: FastifyInstance, ctx: RouteContext): void {
  const devices = ctx.platform.devices;
  const schema = op('Stored values of one datastream, newest first', {
    querystring: historyQuery,
    response: { 200: historyPageSchema, ...errorResponses },
  });
  app.get<{ Querystring: HistoryQuery }>(
    '/api/v1/organization/device/datastream/history',
    { schema },
    async (request) => {
      const caller = callerOf(request);
      const q = request.query;
      const device = await devices.get(caller, q.deviceId);
      const ds = historyStream(templateOf(ctx, device), q);
      const range = {
        ...(q.from === undefined ? {} : { from: q.from }),
        ...(q.to === undefined ? {} : { to: q.to }),
      };
      const page = await devices.history(caller, device.id, {
        dataStreamId: ds.id,
        ...range,
        ...pageRequest(q),
      });
      return {
        content: page.content.map((p) => ({ createdAt: p.ts, value: p.value })),
        totalElements: page.totalElements,
      };
    },
  );
}

/** Current values: v1 keyed by pin (`{"v1":1}`), v2 with datastream details. */
function currentValueRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const devices = ctx.platform.devices;
  const v1 = op('Current values keyed by pin, e.g. {"v1":1}', {
    querystring: query({ deviceId: idParam, pins: { ...list, description: 'v1,v2 (all when absent)' } }, [
      'deviceId',
    ]),
    response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses },
  });
  app.get<{ Querystring: { deviceId: number; pins?: string[] } }>(
    '/api/v1/organization/device/datastreams',
    { schema: v1 },
    async (request) => {
      const device = await devices.get(callerOf(request), request.query.deviceId);
      const wanted = byPins(templateOf(ctx, device), listParam(request.query.pins));
      const values: Record<string, DatastreamValue> = {};
      for (const view of await dataStreamValues(ctx, device, wanted)) values[view.pin] = view.value;
      return values;
    },
  );
  const v2 = op('Current values with datastream details', {
    querystring: query(
      { deviceId: idParam, dataStreamIds: { ...list, description: '1,2 (all when absent)' } },
      ['deviceId'],
    ),
    response: { 200: { type: 'array', items: { $ref: 'DataStreamValue#' } }, ...errorResponses },
  });
  app.get<{ Querystring: { deviceId: number; dataStreamIds?: string[] } }>(
    '/api/v2/organization/device/datastreams',
    { schema: v2 },
    async (request) => {
      const device = await devices.get(callerOf(request), request.query.deviceId);
      const ids = idListParam(request.query.dataStreamIds, 'dataStreamId');
      return dataStreamValues(ctx, device, byIds(templateOf(ctx, device), ids));
    },
  );
}

/** Connection state (presence, when the device API provides it; last ping round trip) and metadata values. */
function statusRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const devices = ctx.platform.devices;
  const byDeviceId = query({ deviceId: idParam }, ['deviceId']);
  const online = op('Whether the device is connected', {
    querystring: byDeviceId,
    response: { 200: onlineSchema, ...errorResponses },
  });
  app.get<{ Querystring: { deviceId: number } }>(
    '/api/v1/organization/device/online',
    { schema: online },
    async (request) => {
      const device = await devices.get(callerOf(request), request.query.deviceId);
      return {
        connected: ctx.presence?.isOnline(device.id) ?? false,
        lastPingRttMs: ctx.pings.lastRttMs(device.id),
      };
    },
  );
  const meta = op('Metadata values of the device', {
    querystring: byDeviceId,
    response: { 200: { type: 'array', items: { $ref: 'MetaFieldValue#' } }, ...errorResponses },
  });
  app.get<{ Querystring: { deviceId: number } }>(
    '/api/v1/organization/device/metafield',
    { schema: meta },
    async (request) => metaFieldValues(ctx, await devices.get(callerOf(request), request.query.deviceId)),
  );
}

/** Datastream reads, history, connection state and metadata of one device (spec §6.4). */
export function deviceDataRoutes(app: FastifyInstance, ctx: RouteContext): void {
  historyRoute(app, ctx);
  currentValueRoutes(app, ctx);
  statusRoutes(app, ctx);
}
