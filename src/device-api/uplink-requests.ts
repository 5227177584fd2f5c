import type { ReasonCode } from '../mqtt/codec/reason-codes.js';
import { type Datastream, type DatastreamValue, MetaFieldType } from '../platform/model.js';
import { formatValue } from '../platform/templates/value-typing.js';
import { deviceLocation, deviceTimeZone } from './device-place.js';
import { diagText } from './diag-texts.js';
import { utcAnswer } from './time-zone.js';
import { datastreamNamed, nameList, OK, type Uplink, type UplinkDeps } from './uplink-context.js';

/** Names one `get/ds` / `get/meta` may ask for (a 64 KiB payload could list thousands). */
const MAX_NAMES = 1000;

/** spec §5.5: metadata a device may read with `get/meta`. */
export const READABLE_META: ReadonlySet<MetaFieldType> = new Set<MetaFieldType>([
  MetaFieldType.DeviceName,
  MetaFieldType.DeviceOwner,
  MetaFieldType.HotspotName,
  MetaFieldType.Location,
  MetaFieldType.TimeZone,
  MetaFieldType.Text,
  MetaFieldType.Number,
  MetaFieldType.Contact,
  MetaFieldType.Switch,
  MetaFieldType.List,
  MetaFieldType.Table,
  MetaFieldType.Imei,
  MetaFieldType.Iccid,
  MetaFieldType.Email,
]);

async function valuesOf(deps: UplinkDeps, up: Uplink): Promise<Map<number, DatastreamValue>> {
  const current = await deps.platform.devices.currentValues(up.target.device.id);
  return new Map(current.map((v) => [v.dataStreamId, v.value]));
}

/** One `downlink/ds/NAME` with the value, else the default; nothing without either (spec §8 #14). */
function sendValue(up: Uplink, ds: Datastream, values: Map<number, DatastreamValue>): void {
  const value = values.get(ds.id) ?? ds.defaultValue;
  if (value !== undefined) up.reply.send(`downlink/ds/${ds.name}`, formatValue(ds, value), 1);
}

/** `get/ds Power,Set Temperature`: one reply per known name, whatever its sync flag (spec §3.2). */
export async function handleGetDs(deps: UplinkDeps, up: Uplink): Promise<ReasonCode> {
  const names = nameList(up.payload, MAX_NAMES);
  const values = await valuesOf(deps, up);
  const unknown: string[] = [];
  for (const name of names) {
    const ds = datastreamNamed(up, name);
    if (ds === undefined) unknown.push(name);
    else sendValue(up, ds, values);
  }
  const [first] = unknown;
  if (first !== undefined)
    up.reply.diag(
      diagText.unknownDatastream(first) + (unknown.length > 1 ? ` (+${unknown.length - 1} more)` : ''),
    );
  return OK;
}

/** `get/ds/all`: every sync-flagged datastream with a value or default (spec §3.2). */
export async function handleGetDsAll(deps: UplinkDeps, up: Uplink): Promise<ReasonCode> {
  const synced = up.target.template.datastreams.filter((ds) => ds.isSync);
  if (synced.length === 0) return OK;
  const values = await valuesOf(deps, up);
  for (const ds of synced) sendValue(up, ds, values);
  return OK;
}

/** spec §5.5: this name answers with the device's own token unless a real field is called so. */
export const AUTH_TOKEN_META = 'Auth Token';

/** The device's token, for the `Auth Token` reserved name: sent only to who asks for it. */
async function ownToken(deps: UplinkDeps, up: Uplink): Promise<string> {
  const { id, orgId } = up.target.device;
  return deps.platform.devices.revealToken({ orgId, actor: 'device-api' }, id);
}

/** `get/meta Name,…`: one `downlink/meta/NAME` per readable field that has a value (spec §3.2). */
export async function handleGetMeta(deps: UplinkDeps, up: Uplink): Promise<ReasonCode> {
  const names = nameList(up.payload, MAX_NAMES);
  if (names.length === 0) return OK;
  const stored = new Map(
    (await deps.platform.devices.metaValues(up.target.device.id)).map((m) => [m.metaFieldId, m.value]),
  );
  for (const name of names) {
    const field = up.target.template.metaFields.find((f) => f.name === name);
    if (field === undefined && name === AUTH_TOKEN_META)
      up.reply.send(`downlink/meta/${name}`, await ownToken(deps, up), 1);
    else if (field === undefined) up.reply.diag(diagText.unknownMeta(name));
    else if (!READABLE_META.has(field.type)) up.reply.diag(diagText.metaNotReadable(name));
    else {
      const value = stored.get(field.id) ?? '';
      if (value !== '') up.reply.send(`downlink/meta/${name}`, value, 1);
    }
  }
  return OK;
}

/** `get/utc/all/json` → `downlink/utc/all/json` (spec §3.4). */
export async function handleGetUtc(deps: UplinkDeps, up: Uplink): Promise<ReasonCode> {
  const tz = await deviceTimeZone(deps.platform, up.target);
  up.reply.send('downlink/utc/all/json', JSON.stringify(utcAnswer(tz, deps.clock.now())), 1);
  return OK;
}

/** `get/loc/all` → `downlink/loc/all` `lat,lon` from the device's Location (spec §3.4). */
export async function handleGetLoc(deps: UplinkDeps, up: Uplink): Promise<ReasonCode> {
  const location = await deviceLocation(deps.platform, up.target);
  if (location === undefined) up.reply.diag(diagText.noLocation());
  else up.reply.send('downlink/loc/all', `${location.lat},${location.lon}`, 1);
  return OK;
}
