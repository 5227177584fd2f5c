import type { FastifyInstance, FastifyReply } from 'fastify';
import type { UplinkTarget } from '../../../device-api/types.js';
import { type Datastream, DatastreamType, type DatastreamValue } from '../../../platform/model.js';
import { formatValue } from '../../../platform/templates/value-typing.js';
import type { RouteContext } from '../../context.js';
import {
  allOf,
  authenticate,
  DeviceApiError,
  DeviceApiText,
  hidden,
  notInProduct,
  queryOf,
  type RawQuery,
} from './device-request.js';
import { datastreamAt, datastreamById, parsePinKey, pinName } from './pins.js';

/** A datastream asked for, under the key the answer uses. */
interface Wanted {
  readonly key: string;
  readonly ds: Datastream;
}

/**
 * The datastreams a `get` names: every parameter but `token` is a pin key without a value (`&v1`),
 * plus any `dataStreamId=`. Unknown ones are `Requested dataStream doesn't exist in the product …`.
 */
function wantedOf(target: UplinkTarget, query: RawQuery): Wanted[] {
  const { template } = target;
  const wanted: Wanted[] = [];
  for (const key of Object.keys(query)) {
    if (key === 'token') continue;
    if (key === 'dataStreamId') {
      for (const text of allOf(query, key)) {
        const ds = datastreamById(template, text);
        if (ds === undefined) throw notInProduct(template.name);
        wanted.push({ key: pinName(ds), ds });
      }
      continue;
    }
    const pin = parsePinKey(key);
    if (pin === undefined) throw new DeviceApiError(DeviceApiText.wrongPin);
    const ds = datastreamAt(template, pin);
    if (ds === undefined) throw notInProduct(template.name);
    wanted.push({ key, ds });
  }
  if (wanted.length === 0) throw new DeviceApiError(DeviceApiText.wrongPin);
  return wanted;
}

/** Current value of each datastream, or its default when never written (spec §5.3); absent = neither. */
async function valuesOf(ctx: RouteContext, target: UplinkTarget): Promise<Map<number, DatastreamValue>> {
  const values = new Map<number, DatastreamValue>();
  for (const ds of target.template.datastreams) {
    if (ds.defaultValue !== undefined) values.set(ds.id, ds.defaultValue);
  }
  for (const current of await ctx.platform.devices.currentValues(target.device.id)) {
    values.set(current.dataStreamId, current.value);
  }
  return values;
}

/** A single value as plain text: the MQTT downlink text, except Location as `[lon,lat]` (no NUL in HTTP). */
function plainText(ds: Datastream, value: DatastreamValue): string {
  return ds.type === DatastreamType.Location ? JSON.stringify(value) : formatValue(ds, value);
}

function sendText(reply: FastifyReply, text: string): FastifyReply {
  return reply.type('text/plain; charset=utf-8').send(text);
}

/** `GET /external/api/get` (spec §6.2 rows 1–2): one pin → plain text; several → typed JSON object. */
function getRoute(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/external/api/get', hidden, async (request, reply) => {
    const query = queryOf(request);
    const target = await authenticate(ctx, request);
    const wanted = wantedOf(target, query);
    const values = await valuesOf(ctx, target);
    const [only] = wanted;
    if (wanted.length === 1 && only !== undefined) {
      const value = values.get(only.ds.id);
      // A datastream without value or default answers an empty body (it has nothing to send).
      return sendText(reply, value === undefined ? '' : plainText(only.ds, value));
    }
    const body: Record<string, DatastreamValue> = {};
    for (const { key, ds } of wanted) {
      const value = values.get(ds.id);
      if (value !== undefined) body[key] = value;
    }
    return reply.send(body);
  });
}

/** `GET /external/api/getAll` (spec §6.2 row 3): every datastream that has a value, keyed `v{pin}`. */
function getAllRoute(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/external/api/getAll', hidden, async (request, reply) => {
    const target = await authenticate(ctx, request);
    const values = await valuesOf(ctx, target);
    const body: Record<string, DatastreamValue> = {};
    const byPin = [...target.template.datastreams].sort((a, b) => a.pin - b.pin);
    for (const ds of byPin) {
      const value = values.get(ds.id);
      if (value !== undefined) body[pinName(ds)] = value;
    }
    return reply.send(body);
  });
}

/** Reads of current values. */
export function valueReadRoutes(app: FastifyInstance, ctx: RouteContext): void {
  getRoute(app, ctx);
  getAllRoute(app, ctx);
}
