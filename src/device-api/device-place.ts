import { MetaFieldType } from '../platform/model.js';
import type { Platform } from '../platform/platform.js';
import { isKnownTimeZone } from './time-zone.js';
import type { UplinkTarget } from './types.js';

export interface LatLon {
  readonly lat: number;
  readonly lon: number;
}

async function metaOfType(platform: Platform, target: UplinkTarget, type: MetaFieldType): Promise<string> {
  const field = target.template.metaFields.find((f) => f.type === type);
  if (field === undefined) return '';
  const values = await platform.devices.metaValues(target.device.id);
  return values.find((v) => v.metaFieldId === field.id)?.value.trim() ?? '';
}

function coordinate(value: unknown, limit: number): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && Math.abs(n) <= limit ? n : undefined;
}

/**
 * A Location metadata value: `lat,lon` (spec §8 #13), `lat lon` (the HTTP `loc.latlon` form) or
 * a JSON object `{"lat": …, "lon"|"lng": …}`.
 */
export function parseLatLon(text: string): LatLon | undefined {
  let lat: unknown;
  let lon: unknown;
  if (text.startsWith('{')) {
    try {
      const json = JSON.parse(text) as Record<string, unknown>;
      lat = json.lat;
      lon = json.lon ?? json.lng;
    } catch {
      return undefined;
    }
  } else {
    const parts = text.split(/[,\s]+/).filter((p) => p !== '');
    if (parts.length !== 2) return undefined;
    [lat, lon] = parts;
  }
  const la = coordinate(lat, 90);
  const lo = coordinate(lon, 180);
  return la === undefined || lo === undefined ? undefined : { lat: la, lon: lo };
}

/** The device's Location metadata, if set and readable. */
export async function deviceLocation(platform: Platform, target: UplinkTarget): Promise<LatLon | undefined> {
  return parseLatLon(await metaOfType(platform, target, MetaFieldType.Location));
}

/**
 * spec §3.4 time zone order: (1) the device's location — skipped, devgate has no coordinates-to-
 * zone database; (2) its Time Zone metadata; (3) its organization's zone; (4) UTC.
 */
export async function deviceTimeZone(platform: Platform, target: UplinkTarget): Promise<string> {
  const own = await metaOfType(platform, target, MetaFieldType.TimeZone);
  if (own !== '' && isKnownTimeZone(own)) return own;
  const orgId = target.device.orgId;
  try {
    const org = await platform.orgs.get({ orgId, actor: 'system' }, orgId);
    if (isKnownTimeZone(org.tz)) return org.tz;
  } catch {
    // The org went away meanwhile: fall through to UTC.
  }
  return 'UTC';
}
