import { NotFoundError } from '../../platform/errors.js';
import type { Datastream, DatastreamValue, Device, Template } from '../../platform/model.js';
import type { RouteContext } from '../context.js';

/** spec §6.4 `dataStreamValues` entry. */
export interface DataStreamValueView {
  readonly dataStreamId: number;
  readonly pin: string;
  readonly dataStreamLabel: string;
  readonly dataStreamAlias?: string;
  readonly value: DatastreamValue;
  /** null when the value is the datastream's default (never written). */
  readonly updatedAt: number | null;
}

export interface MetaFieldValueView {
  readonly id: number;
  readonly name: string;
  readonly type: string;
  readonly value: string;
}

export function pinKey(pin: number): string {
  return `v${pin}`;
}

/** The device's template; a device always has one, so a miss is an inconsistency reported as 404. */
export function templateOf(ctx: RouteContext, device: Device): Template {
  const template = ctx.platform.templates.byId(device.templateId);
  if (template === undefined)
    throw new NotFoundError(`Template with identifier ${device.templateId} is not found.`);
  return template;
}

/** `Data stream with identifier 1 is not found!` (spec §6.4). */
export function dataStreamNotFound(id: number | string): NotFoundError {
  return new NotFoundError(`Data stream with identifier ${id} is not found!`);
}

/**
 * Current values of the given datastreams (all of the template's when absent), falling back to
 * each datastream's default value; datastreams with neither are left out.
 */
export async function dataStreamValues(
  ctx: RouteContext,
  device: Device,
  datastreams: readonly Datastream[] = templateOf(ctx, device).datastreams,
): Promise<DataStreamValueView[]> {
  const current = new Map(
    (await ctx.platform.devices.currentValues(device.id)).map((v) => [v.dataStreamId, v]),
  );
  const views: DataStreamValueView[] = [];
  for (const ds of datastreams) {
    const value = current.get(ds.id);
    if (value === undefined && ds.defaultValue === undefined) continue;
    views.push({
      dataStreamId: ds.id,
      pin: pinKey(ds.pin),
      dataStreamLabel: ds.name,
      ...(ds.alias === undefined ? {} : { dataStreamAlias: ds.alias }),
      value: value?.value ?? (ds.defaultValue as DatastreamValue),
      updatedAt: value?.updatedAt ?? null,
    });
  }
  return views;
}

/** Every metadata field of the template with the device's value (spec §5.5); Device Name is the device's name. */
export async function metaFieldValues(ctx: RouteContext, device: Device): Promise<MetaFieldValueView[]> {
  const stored = new Map(
    (await ctx.platform.devices.metaValues(device.id)).map((v) => [v.metaFieldId, v.value]),
  );
  return templateOf(ctx, device).metaFields.map((field) => ({
    id: field.id,
    name: field.name,
    type: field.type,
    value: field.type === 'DeviceName' ? device.name : (stored.get(field.id) ?? field.defaultValue ?? ''),
  }));
}

/** Whether the device is online now (spec §5.10) and when it was last seen. */
export function presenceOf(ctx: RouteContext, device: Device) {
  const online = ctx.presence?.isOnline(device.id) ?? false;
  return {
    lastSeenAt: online ? ctx.clock.now() : (device.disconnectTime ?? null),
    isHardwareConnected: online,
  };
}

/**
 * spec §5.4 full device view, plus what the console's device page shows: the template's name and
 * `TMPL…` id, and when the device was last seen (now while online; else when it went offline).
 */
export async function deviceDetails(ctx: RouteContext, device: Device) {
  const template = templateOf(ctx, device);
  return {
    ...device,
    templateName: template.name,
    blynkTemplateId: template.templateId,
    ...presenceOf(ctx, device),
    dataStreamValues: await dataStreamValues(ctx, device),
    metaFieldValues: await metaFieldValues(ctx, device),
  };
}
