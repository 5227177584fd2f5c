import type { FastifyRequest } from 'fastify';
import { homeRegionOf, sameRegion } from '../../../device-api/redirect.js';
import type { DeviceApiRuntime, UplinkTarget } from '../../../device-api/types.js';
import { PlatformError } from '../../../platform/errors.js';
import type { RouteContext } from '../../context.js';

/**
 * Shared ground of the Device HTTPS API (spec §6.1, §6.2): the error type, the exact error texts of
 * spec §7.2, query parameter access and device authentication by the `token` query parameter.
 */

/** A Device HTTPS API failure: HTTP 400 `{"error":{"message":…}}` unless spec §6.2 says otherwise. */
export class DeviceApiError extends PlatformError {
  constructor(message: string, status = 400) {
    super('DEVICE_API', status, message);
  }
}

/** spec §7.2, exact. Where §6.2 lists a text without its trailing dot for an endpoint, both exist. */
export const DeviceApiText = {
  invalidToken: 'Invalid token.',
  noToken: 'No token provided.',
  wrongPin: 'Wrong pin format.',
  wrongDataStreamId: 'Wrong dataStreamId format.',
  valueMismatch: "Value doesn't match the Datastream data type.",
  valueMismatchNoDot: "Value doesn't match the Datastream data type",
  noDatastreamForPin: 'No datastream setup for that pin.',
  noEventCode: 'Event code is not provided.',
  unknownEvent: "Can't find Event with this code in Product template",
  wrongMetaField: 'Wrong metaField format.',
  wrongMetaFieldNoDot: 'Wrong metaField format',
  noMetaField: "MetaField doesn't exist.",
  noMetaFieldNoDot: "MetaField doesn't exist",
  wrongValue: 'Wrong value',
  unknownContentType: 'Unknown content type.',
  tooMuchData: 'Too much data in batch. Maximum batch size is 10000 points.',
  incorrectParameters: 'Request with incorrect parameters',
  noData: 'No data',
} as const;

/** `Requested dataStream doesn't exist in the product {name}` (spec §6.2 row 1). */
export function notInProduct(templateName: string): DeviceApiError {
  return new DeviceApiError(`Requested dataStream doesn't exist in the product ${templateName}`);
}

/** The parsed query string: a repeated parameter is an array, a bare `&v1` an empty string. */
export type RawQuery = Readonly<Record<string, string | string[] | undefined>>;

export function queryOf(request: FastifyRequest): RawQuery {
  return (request.query ?? {}) as RawQuery;
}

/** Every value of a parameter, in order (absent = none). */
export function allOf(query: RawQuery, name: string): string[] {
  if (!Object.hasOwn(query, name)) return [];
  const value = query[name];
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : [...value];
}

/** A parameter given once; undefined when absent. A repeated one counts as given once, last wins. */
export function oneOf(query: RawQuery, name: string): string | undefined {
  return allOf(query, name).at(-1);
}

/** spec §6.1: the device belongs to another region; answered 308 with `Location`, empty body. */
export class RegionRedirect extends Error {
  readonly location: string;

  constructor(location: string) {
    super('device belongs to another region');
    this.location = location;
  }
}

/**
 * spec §6.1 wrong region: when this server has a region URL and the device's organization names
 * another home region, the same path and query on that region (as MQTT `downlink/redirect`).
 */
async function redirectIfElsewhere(ctx: RouteContext, request: FastifyRequest, orgId: number): Promise<void> {
  const here = ctx.deviceApi()?.options.regionUrl;
  if (here === undefined) return;
  const home = await homeRegionOf(ctx.platform, orgId);
  if (home === undefined || sameRegion(home, here)) return;
  throw new RegionRedirect(new URL(request.url, home).toString());
}

/**
 * The device named by the `token` query parameter (spec §6.2): `No token provided.` without one,
 * `Invalid token.` for any token that does not authenticate (unknown, revoked, deleted device);
 * the two unknown cases are indistinguishable, and the token itself is never logged or echoed.
 */
export async function authenticate(ctx: RouteContext, request: FastifyRequest): Promise<UplinkTarget> {
  const tokens = allOf(queryOf(request), 'token');
  if (tokens.length === 0 || tokens.every((t) => t === '')) throw new DeviceApiError(DeviceApiText.noToken);
  // Throttled addresses are refused (429) before the token is looked up (decision 0009).
  ctx.throttle.guard(request);
  const token = tokens.length === 1 ? tokens[0] : undefined;
  const device = token === undefined ? undefined : await ctx.platform.devices.authenticateToken(token);
  const template = device === undefined ? undefined : ctx.platform.templates.byId(device.templateId);
  if (device === undefined || template === undefined) {
    ctx.throttle.failed(request);
    throw new DeviceApiError(DeviceApiText.invalidToken);
  }
  ctx.throttle.succeeded(request);
  await redirectIfElsewhere(ctx, request, device.orgId);
  return { device, template };
}

/** The device API runtime, which exists once the broker runs; before that writes are 503. */
export function runtimeOf(ctx: RouteContext): DeviceApiRuntime {
  const runtime = ctx.deviceApi();
  if (runtime === undefined) throw new DeviceApiError('Device API is not running.', 503);
  return runtime;
}

/**
 * A write authenticated as {@link authenticate} does, then taken from the device's message rate,
 * the one its MQTT uplinks and gateways take from too (spec §8 #16): over it, 429 (spec §6.4 uses
 * 429 for rate limits; the Device HTTPS API documents none of its own).
 */
export async function authenticateWrite(ctx: RouteContext, request: FastifyRequest): Promise<UplinkTarget> {
  const target = await authenticate(ctx, request);
  const runtime = runtimeOf(ctx);
  if (runtime.limits.rate(target.device.id) !== 'ok') {
    const { rateLimitPerSec } = runtime.options;
    throw new DeviceApiError(
      `Too many requests for this device: at most ${rateLimitPerSec} messages per second.`,
      429,
    );
  }
  return target;
}

/** Where every device write route starts: its query and the {@link authenticateWrite} target. */
export async function writeRequestOf(
  ctx: RouteContext,
  request: FastifyRequest,
): Promise<{ readonly query: RawQuery; readonly target: UplinkTarget }> {
  const query = queryOf(request);
  return { query, target: await authenticateWrite(ctx, request) };
}

/** Route options: the Device HTTPS API stays out of the Platform API's OpenAPI document. */
export const hidden = { schema: { hide: true } } as const;

/** Data from the device (spec §5.10 "log when device reports any data"): Online for the offline delay. */
export function markSeen(ctx: RouteContext, deviceId: number): void {
  ctx.deviceApi()?.presence.seen(deviceId);
}
