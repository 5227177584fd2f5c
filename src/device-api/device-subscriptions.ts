import { ReasonCode } from '../mqtt/codec/reason-codes.js';
import { diagText } from './diag-texts.js';
import { deviceTopic } from './internal-topics.js';

/** Where a device subscription points, or why it is refused (with the diag text). */
export type DeviceFilterMapping =
  | { readonly ok: true; readonly filter: string; readonly maxQos: 1 }
  | { readonly ok: false; readonly code: ReasonCode; readonly diag: string };

/** Device downlink topics all start here (spec §3.1). */
export const DOWNLINK_PREFIX = 'downlink/';

/**
 * spec §3.1/§9: a device may subscribe only under `downlink/`, with at most a trailing `#` (the
 * engine already refused `#` anywhere else); `+` is not supported (v5 SUBACK 0xA2), anything
 * else is not authorized (0x87; 3.1.1 gets 0x80 for both). Granted QoS is at most 1 (spec §3.1).
 */
export function mapDeviceFilter(deviceId: number, filter: string): DeviceFilterMapping {
  if (filter.includes('+'))
    return {
      ok: false,
      code: ReasonCode.WildcardSubscriptionsNotSupported,
      diag: diagText.wildcardNotSupported(filter),
    };
  if (!filter.startsWith(DOWNLINK_PREFIX))
    return { ok: false, code: ReasonCode.NotAuthorized, diag: diagText.subscriptionNotAllowed(filter) };
  return { ok: true, filter: deviceTopic(deviceId, filter), maxQos: 1 };
}
