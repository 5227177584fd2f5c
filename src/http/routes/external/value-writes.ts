import type { FastifyInstance } from 'fastify';
import type { UplinkTarget } from '../../../device-api/types.js';
import { NotFoundError, ValidationError } from '../../../platform/errors.js';
import type { Datastream } from '../../../platform/model.js';
import type { RouteContext } from '../../context.js';
import {
  allOf,
  DeviceApiError,
  DeviceApiText,
  hidden,
  oneOf,
  type RawQuery,
  runtimeOf,
  writeRequestOf,
} from './device-request.js';
import { datastreamAt, datastreamById, requirePinKey } from './pins.js';

/** One datastream write as the device sent it: the text value(s) of one pin. */
interface TextWrite {
  readonly ds: Datastream;
  /** Repeated parameters are a multi-value (`value=lon&value=lat`), as NUL-separated on MQTT. */
  readonly values: readonly string[];
}

/** Parameters that are not pin keys in `update`. */
const RESERVED = new Set(['token', 'dataStreamId', 'pin', 'value']);

function requireDatastream(ds: Datastream | undefined): Datastream {
  if (ds === undefined) throw new DeviceApiError(DeviceApiText.noDatastreamForPin);
  return ds;
}

/**
 * The writes an `update` names (spec §6.2 row 4): `dataStreamId={id}&value=…` or `pin=V1&value=…`,
 * and/or `{pin}={value}` pairs; a key that is no pin is `Wrong pin format.`
 */
function textWritesOf(target: UplinkTarget, query: RawQuery): TextWrite[] {
  const writes: TextWrite[] = [];
  const id = oneOf(query, 'dataStreamId');
  const pin = oneOf(query, 'pin');
  if (id !== undefined || pin !== undefined) {
    const ds =
      id !== undefined
        ? datastreamById(target.template, id)
        : datastreamAt(target.template, requirePinKey(pin));
    writes.push({ ds: requireDatastream(ds), values: allOf(query, 'value') });
  } else if (Object.hasOwn(query, 'value')) {
    throw new DeviceApiError(DeviceApiText.wrongPin);
  }
  for (const key of Object.keys(query)) {
    if (RESERVED.has(key)) continue;
    const ds = datastreamAt(target.template, requirePinKey(key));
    writes.push({ ds: requireDatastream(ds), values: allOf(query, key) });
  }
  if (writes.length === 0) throw new DeviceApiError(DeviceApiText.wrongPin);
  return writes;
}

/**
 * Stores the values through the device API's write path, the one the Platform API and MQTT share
 * (spec §3.5 typing, clamping, enum fallback; history; `downlink/ds/NAME` to the device and its
 * gateways), then marks the device as having reported data (spec §5.10).
 */
async function writeTextValues(
  ctx: RouteContext,
  target: UplinkTarget,
  writes: readonly TextWrite[],
  mismatchText: string,
): Promise<void> {
  const runtime = runtimeOf(ctx);
  if (writes.some((w) => w.values.length === 0)) throw new DeviceApiError(mismatchText);
  // spec §6.2/§7.1: `update` calls per device per day.
  if (!runtime.limits.update(target.device.id)) {
    const max = runtime.options.httpUpdatesPerDay;
    throw new DeviceApiError(`Too many update requests for this device today: at most ${max} per day.`);
  }
  // Texts, typed by the service as `ds/NAME` payloads are; several are a multi-value (Location).
  const values = writes.map((w) => ({
    dataStreamId: w.ds.id,
    value: w.values.length === 1 ? w.values[0] : w.values,
  }));
  try {
    await runtime.values.write(target.device.id, values);
  } catch (err) {
    if (err instanceof ValidationError) throw new DeviceApiError(mismatchText);
    if (err instanceof NotFoundError) throw new DeviceApiError(DeviceApiText.noDatastreamForPin);
    throw err;
  }
  runtime.presence.seen(target.device.id);
}

/** `GET /external/api/update` (row 4) and `GET /external/api/batch/update` (row 5): 200, empty body. */
export function valueWriteRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/external/api/update', hidden, async (request, reply) => {
    const { query, target } = await writeRequestOf(ctx, request);
    await writeTextValues(ctx, target, textWritesOf(target, query), DeviceApiText.valueMismatch);
    return reply.send();
  });
  app.get('/external/api/batch/update', hidden, async (request, reply) => {
    const { query, target } = await writeRequestOf(ctx, request);
    await writeTextValues(ctx, target, textWritesOf(target, query), DeviceApiText.valueMismatchNoDot);
    return reply.send();
  });
}
