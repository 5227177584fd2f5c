import { ReasonCode } from '../mqtt/codec/reason-codes.js';
import { ValidationError } from '../platform/errors.js';
import { DeviceStatus, type HardwareInfo, MetaFieldType } from '../platform/model.js';
import { diagText } from './diag-texts.js';
import { OK, parseJson, refuse, type Uplink, type UplinkDeps } from './uplink-context.js';

/** spec §5.6/§7.1: an event description from a device. */
export const MAX_EVENT_DESCRIPTION = 300;
/** Longest text kept from an `info/mcu` field. */
const MAX_INFO_FIELD = 128;

/** spec §5.5: metadata a device may write with `meta/NAME`. */
export const WRITABLE_META: ReadonlySet<MetaFieldType> = new Set<MetaFieldType>([
  MetaFieldType.HotspotName,
  MetaFieldType.TimeZone,
  MetaFieldType.Text,
  MetaFieldType.Number,
  MetaFieldType.Table,
  MetaFieldType.Imei,
  MetaFieldType.Iccid,
]);

function text(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value !== '' ? value.slice(0, MAX_INFO_FIELD) : undefined;
}

/** spec §3.4: `{tmpl, ver, build, type, rxbuff}` (all optional) → the platform's hardwareInfo. */
export function hardwareInfoOf(json: Record<string, unknown>): HardwareInfo {
  const rxbuff = json.rxbuff;
  const fields: Record<string, string | number | undefined> = {
    templateId: text(json.tmpl),
    version: text(json.ver),
    build: text(json.build),
    fwType: text(json.type),
    blynkVersion: text(json.blynk),
    boardType: text(json.board ?? json.hw),
    rxbuff: typeof rxbuff === 'number' && Number.isSafeInteger(rxbuff) && rxbuff > 0 ? rxbuff : undefined,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as HardwareInfo;
}

/**
 * `info/mcu` (spec §3.2, §3.4, §5.9): records the hardware info, activates a dynamically
 * provisioned device, bounds downlinks by `rxbuff`, and tells the OTA listeners.
 */
export async function handleInfo(deps: UplinkDeps, up: Uplink): Promise<ReasonCode> {
  const json = parseJson(up.payload);
  const body = json.ok ? json.value : undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return refuse(up.reply, ReasonCode.PayloadFormatInvalid, diagText.badInfo());
  const info = hardwareInfoOf(body as Record<string, unknown>);
  const { device, template } = up.target;
  if (device.status === DeviceStatus.Pending) await deps.platform.devices.activate(device.id, info);
  else await deps.platform.devices.setHardwareInfo(device.id, info);
  if (info.rxbuff !== undefined) up.reply.limitPacketSize?.(info.rxbuff);
  // spec §8 #22: a foreign template id is recorded and reported, not refused.
  if (info.templateId !== undefined && info.templateId !== template.templateId)
    up.reply.diag(diagText.templateMismatch(info.templateId));
  for (const listener of deps.deviceInfoListeners) {
    try {
      listener(device.id, info);
    } catch (err) {
      deps.logger.error({ err, deviceId: device.id }, 'info/mcu listener failed');
    }
  }
  return OK;
}

/**
 * `event/CODE`: logs the event; an empty payload takes the event's description (spec §3.2). Over
 * the event limits (spec §7.1) it is dropped with a diag and v5 PUBACK 0x97 Quota exceeded.
 */
export async function handleEvent(deps: UplinkDeps, up: Uplink, code: string): Promise<ReasonCode> {
  const event = up.target.template.events.find((e) => e.code === code);
  if (event === undefined) return refuse(up.reply, ReasonCode.TopicNameInvalid, diagText.unknownEvent(code));
  const given = up.payload.toString('utf8');
  // Characters, not bytes: spec §5.6 counts characters.
  if ([...given].length > MAX_EVENT_DESCRIPTION)
    return refuse(up.reply, ReasonCode.PayloadFormatInvalid, diagText.eventTooLong(MAX_EVENT_DESCRIPTION));
  const description = given === '' ? event.description : given;
  // spec §7.1: 100 events per device per day, at least 1 s between events of one code.
  const verdict = deps.limits.event(up.target.device.id, code);
  if (verdict !== 'ok') {
    const { eventsPerDay, eventIntervalMs } = deps.limits.options;
    const text =
      verdict === 'daily'
        ? diagText.eventsPerDay(eventsPerDay)
        : diagText.eventTooSoon(code, eventIntervalMs);
    return refuse(up.reply, ReasonCode.QuotaExceeded, text);
  }
  await deps.platform.devices.logEvent(
    up.target.device.id,
    event.id,
    description.slice(0, MAX_EVENT_DESCRIPTION),
  );
  return OK;
}

/** `meta/NAME`: writable types only (spec §5.5); not echoed. */
export async function handleMeta(deps: UplinkDeps, up: Uplink, name: string): Promise<ReasonCode> {
  const field = up.target.template.metaFields.find((f) => f.name === name);
  if (field === undefined) return refuse(up.reply, ReasonCode.TopicNameInvalid, diagText.unknownMeta(name));
  if (!WRITABLE_META.has(field.type))
    return refuse(up.reply, ReasonCode.NotAuthorized, diagText.metaNotWritable(name));
  try {
    await deps.platform.devices.setMetaValue(up.target.device.id, field.id, up.payload.toString('utf8'));
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return refuse(up.reply, ReasonCode.PayloadFormatInvalid, diagText.badMetaValue(name));
  }
  return OK;
}
