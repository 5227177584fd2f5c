import type { FastifyInstance } from 'fastify';
import { parseLatLon } from '../../../device-api/device-place.js';
import { READABLE_META } from '../../../device-api/uplink-requests.js';
import { ReasonCode } from '../../../mqtt/codec/reason-codes.js';
import { type MetaField, MetaFieldType, type Template } from '../../../platform/model.js';
import type { RouteContext } from '../../context.js';
import {
  authenticate,
  DeviceApiError,
  DeviceApiText,
  hidden,
  oneOf,
  queryOf,
  type RawQuery,
  runtimeOf,
  writeRequestOf,
} from './device-request.js';
import { runUplink } from './device-uplink.js';

/** spec §5.5: the HTTP-only pseudo field answering the device's Location as `lat lon`. */
const LAT_LON = 'loc.latlon';

interface Texts {
  readonly wrongFormat: string;
  readonly missing: string;
}
const READ_TEXTS: Texts = { wrongFormat: DeviceApiText.wrongMetaField, missing: DeviceApiText.noMetaField };
const WRITE_TEXTS: Texts = {
  wrongFormat: DeviceApiText.wrongMetaFieldNoDot,
  missing: DeviceApiText.noMetaFieldNoDot,
};

/**
 * The field a request names: `metaFieldId={id}` (digits) or `metaFieldName={exact name}`
 * (case-sensitive, spec §6.2 rows 10–11); `loc.latlon` in either is the pseudo field.
 */
function fieldOf(template: Template, query: RawQuery, texts: Texts): MetaField | typeof LAT_LON {
  const id = oneOf(query, 'metaFieldId');
  const name = oneOf(query, 'metaFieldName');
  if (id === LAT_LON || name === LAT_LON) return LAT_LON;
  let field: MetaField | undefined;
  if (id !== undefined) {
    if (!/^\d{1,15}$/.test(id)) throw new DeviceApiError(texts.wrongFormat);
    field = template.metaFields.find((f) => f.id === Number(id));
  } else if (name !== undefined && name !== '') {
    field = template.metaFields.find((f) => f.name === name);
  } else {
    throw new DeviceApiError(texts.wrongFormat);
  }
  if (field === undefined) throw new DeviceApiError(texts.missing);
  return field;
}

/** A stored Location (`lat,lon`, spec §8 #13) as `lat lon`; anything else as stored. */
function latLonText(value: string): string {
  const place = parseLatLon(value);
  return place === undefined ? value : `${place.lat} ${place.lon}`;
}

/** `GET /external/api/device/meta` (spec §6.2 row 10): `{"type":"Text","value":"…"}`. */
function readRoute(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/external/api/device/meta', hidden, async (request, reply) => {
    const query = queryOf(request);
    const { device, template } = await authenticate(ctx, request);
    const wanted = fieldOf(template, query, READ_TEXTS);
    const field =
      wanted === LAT_LON ? template.metaFields.find((f) => f.type === MetaFieldType.Location) : wanted;
    // Readable as with `get/meta` (spec §5.5).
    if (field === undefined || !READABLE_META.has(field.type)) throw new DeviceApiError(READ_TEXTS.missing);
    const values = await ctx.platform.devices.metaValues(device.id);
    const value = values.find((v) => v.metaFieldId === field.id)?.value ?? '';
    return reply.send({ type: field.type, value: wanted === LAT_LON ? latLonText(value) : value });
  });
}

/** A field a device may not write (spec §5.5) or a value its type refuses: `Wrong value`. */
const WRITE_FAILURES = {
  [ReasonCode.NotAuthorized]: DeviceApiText.wrongValue,
  [ReasonCode.PayloadFormatInvalid]: DeviceApiText.wrongValue,
  [ReasonCode.TopicNameInvalid]: DeviceApiText.noMetaFieldNoDot,
};

/**
 * `GET /external/api/device/meta/update` (row 11): written exactly as `meta/NAME` would be (the
 * device-writable types, the value checked for the field's type, spec §5.5), then sent to the
 * device as `downlink/meta/NAME`, as any metadata change made in the cloud (spec §3.3): the
 * caller is often a service acting for the device. 200, empty body.
 */
function updateRoute(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/external/api/device/meta/update', hidden, async (request, reply) => {
    const { query, target } = await writeRequestOf(ctx, request);
    const field = fieldOf(target.template, query, WRITE_TEXTS);
    const value = oneOf(query, 'value');
    if (field === LAT_LON || value === undefined) throw new DeviceApiError(DeviceApiText.wrongValue);
    await runUplink(ctx, target, `meta/${field.name}`, value, WRITE_FAILURES);
    runtimeOf(ctx).downlinks.publish(target.device.id, `downlink/meta/${field.name}`, value);
    return reply.send();
  });
}

/** Device metadata (spec §5.5) through the Device HTTPS API. */
export function metadataRoutes(app: FastifyInstance, ctx: RouteContext): void {
  readRoute(app, ctx);
  updateRoute(app, ctx);
}
