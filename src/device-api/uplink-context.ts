import type { Clock } from '../lib/clock.js';
import { ReasonCode } from '../mqtt/codec/reason-codes.js';
import type { Logger } from '../observability/logger.js';
import type { Datastream, HardwareInfo } from '../platform/model.js';
import type { Platform } from '../platform/platform.js';
import type { DeviceLimits } from './device-limits.js';
import type { ReplyChannel, UplinkTarget } from './types.js';

/** What the uplink handlers use. */
export interface UplinkDeps {
  readonly platform: Platform;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called after `info/mcu` was recorded (OTA offers firmware from here). */
  readonly deviceInfoListeners: ReadonlyArray<(deviceId: number, info: HardwareInfo) => void>;
  /** Per-device rate, event and import limits (spec §7.1). */
  readonly limits: DeviceLimits;
}

/** One uplink being handled. */
export interface Uplink {
  readonly target: UplinkTarget;
  readonly payload: Buffer;
  readonly reply: ReplyChannel;
}

/** Drops the uplink: a diag says why, the v5 PUBACK carries `code` (spec §3.7). */
export function refuse(reply: ReplyChannel, code: ReasonCode, text: string): ReasonCode {
  reply.diag(text);
  return code;
}

export const OK = ReasonCode.Success;

/** The template's datastream called `name` (exact, case-sensitive: spec §3.1). */
export function datastreamNamed(uplink: Uplink, name: string): Datastream | undefined {
  return uplink.target.template.datastreams.find((ds) => ds.name === name);
}

/** JSON.parse that answers undefined for bad JSON (so callers refuse with 0x99). */
export function parseJson(payload: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(payload.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

/** Comma-separated names (`get/ds`, `get/meta`), trimmed, without empties and duplicates. */
export function nameList(payload: Buffer, max: number): string[] {
  const names = payload
    .toString('utf8')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  return [...new Set(names)].slice(0, max);
}
