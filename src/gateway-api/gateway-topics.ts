import { ReasonCode } from '../mqtt/codec/reason-codes.js';

/**
 * The gateway topic grammar (spec §4.1): `dev/{token}/` + any device-relative topic. Tokens are
 * secrets: they live only in wire topics, never in internal topics, logs or metrics.
 */
const PREFIX = 'dev/';

/** `dev/{token}/{relative}` → its parts; undefined when the topic has no gateway prefix. */
export function splitPrefixed(topic: string): { token: string; relative: string } | undefined {
  if (!topic.startsWith(PREFIX)) return undefined;
  const slash = topic.indexOf('/', PREFIX.length);
  // `dev/{token}` alone: no device topic; the token is still looked up (one code path for all).
  if (slash === -1) return { token: topic.slice(PREFIX.length), relative: '' };
  return { token: topic.slice(PREFIX.length, slash), relative: topic.slice(slash + 1) };
}

/** The wire topic a gateway sees for a device-relative topic of the device with `token`. */
export function prefixedTopic(token: string, relative: string): string {
  return `${PREFIX}${token}/${relative}`;
}

/** What a gateway SUBSCRIBE filter asks for, decided before any token lookup. */
export type GatewayFilter =
  /** A device's downlinks: `relative` is the device-relative filter (`downlink/…`). */
  | { readonly kind: 'device'; readonly token: string; readonly relative: string }
  /** Unprefixed: the gateway device's own Device API (mgmt_device), refused on OAuth connections. */
  | { readonly kind: 'own' }
  /** Refused whatever the token: the code and a diag text for the client. */
  | { readonly kind: 'refused'; readonly code: ReasonCode; readonly diag: string };

const ALLOWED = 'gateways subscribe to dev/{token}/downlink/… or dev/{token}/#';

function refused(code: ReasonCode, why: string): GatewayFilter {
  return { kind: 'refused', code, diag: `Subscription not allowed (${why}): ${ALLOWED}` };
}

/**
 * Classifies a (syntactically valid) filter. Spec §4.1: wildcards only after a literal token;
 * `dev/+/…`, `dev/#`, `#` and `+/…` are refused with 0xA2 (§3.7, §8 #7); after the token only
 * `#` or `downlink/…` with a trailing `#` (device rules, §3.1).
 */
export function classifyFilter(filter: string): GatewayFilter {
  const levels = filter.split('/');
  const first = levels[0];
  if (first === '#' || first === '+')
    return refused(ReasonCode.WildcardSubscriptionsNotSupported, 'wildcard');
  if (first !== 'dev') return { kind: 'own' };
  const token = levels[1];
  if (token === undefined) return refused(ReasonCode.NotAuthorized, 'no device token');
  if (token === '+' || token === '#')
    return refused(ReasonCode.WildcardSubscriptionsNotSupported, 'wildcard in the token');
  const rest = levels.slice(2);
  if (rest.length === 1 && rest[0] === '#') return { kind: 'device', token, relative: 'downlink/#' };
  if (rest[0] === 'downlink') {
    if (rest.includes('+')) return refused(ReasonCode.WildcardSubscriptionsNotSupported, '"+" wildcard');
    return { kind: 'device', token, relative: rest.join('/') };
  }
  if (rest[0] === '+') return refused(ReasonCode.WildcardSubscriptionsNotSupported, '"+" wildcard');
  return refused(ReasonCode.NotAuthorized, 'only downlinks');
}

/** Device-relative downlink topics are the only ones delivered to a gateway. */
export function isDownlink(relative: string): boolean {
  return relative === 'downlink' || relative.startsWith('downlink/');
}
