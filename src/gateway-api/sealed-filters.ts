import type { FilterSeal } from '../broker/filter-seal.js';
import { deviceTopic, parseDeviceTopic } from '../device-api/internal-topics.js';
import { hashDeviceToken } from '../platform/devices/device-token.js';
import type { Platform } from '../platform/platform.js';
import { classifyFilter } from './gateway-topics.js';

/**
 * A gateway subscription as the session store keeps it: `dev/{token}/{rest}` becomes
 * `dev/#{sha256 of the token}/{rest}`. The hash is the platform's token lookup key (not the
 * token); `#` inside a level makes the form an invalid MQTT filter, so it can never be taken for
 * (or collide with) a filter a client sent. The device id is in the subscription's internal
 * filter (`$dev/{id}/…`), stored beside it.
 */
const SEALED_PREFIX = 'dev/#';
const HASH = /^[0-9a-f]{64}$/;

/** The sealed form of a gateway wire filter mapped to `matchFilter`; undefined for any other filter. */
export function sealGatewayFilter(wireFilter: string, matchFilter: string): string | undefined {
  const wanted = classifyFilter(wireFilter);
  if (wanted.kind !== 'device') return undefined;
  const internal = parseDeviceTopic(matchFilter);
  if (internal === undefined || deviceTopic(internal.deviceId, wanted.relative) !== matchFilter)
    return undefined;
  const rest = wireFilter.slice(`dev/${wanted.token}/`.length);
  return `${SEALED_PREFIX}${hashDeviceToken(wanted.token)}/${rest}`;
}

function parseSealed(sealed: string): { tokenHash: string; rest: string } | undefined {
  if (!sealed.startsWith(SEALED_PREFIX)) return undefined;
  const slash = sealed.indexOf('/', SEALED_PREFIX.length);
  const tokenHash = sealed.slice(SEALED_PREFIX.length, slash);
  if (slash === -1 || !HASH.test(tokenHash)) return undefined;
  return { tokenHash, rest: sealed.slice(slash + 1) };
}

/**
 * The engine's FilterSeal for the Gateway API. Unsealing finds the token again from the device
 * record (the internal filter names the device, the hash must still be its token's): a rotated
 * token or a deleted device gives nothing back and the subscription is dropped. The token found
 * is the one the gateway itself sent. Scope (the device moved out of the gateway's reach) is
 * checked again by the gateway connection when it resumes the session, as on every delivery.
 */
export function gatewayFilterSeal(platform: Pick<Platform, 'devices'>): FilterSeal {
  return {
    seal: sealGatewayFilter,
    async unseal(sealed, matchFilter) {
      const parts = parseSealed(sealed);
      const internal = parseDeviceTopic(matchFilter);
      if (parts === undefined || internal === undefined) return undefined;
      const token = await platform.devices.currentToken(internal.deviceId, parts.tokenHash);
      if (token === undefined) return undefined;
      const wire = `dev/${token}/${parts.rest}`;
      // The same mapping as when it was granted, or nothing.
      if (sealGatewayFilter(wire, matchFilter) !== sealed) return undefined;
      // Warms the authentication cache, which every delivery to the gateway checks first.
      const device = await platform.devices.authenticateToken(token);
      return device?.id === internal.deviceId ? wire : undefined;
    },
  };
}
