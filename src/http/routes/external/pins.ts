import type { Datastream, Template } from '../../../platform/model.js';
import { DeviceApiError, DeviceApiText } from './device-request.js';

/**
 * Pin keys of the Device HTTPS API (spec §6.2 notes): `v{n}`/`V{n}` address the datastream on
 * virtual pin n; `d{n}`/`a{n}` (digital, analog) are well formed but devgate has no datastreams on
 * physical pins, so they never resolve.
 */
export type PinKind = 'virtual' | 'digital' | 'analog';

export interface PinKey {
  readonly kind: PinKind;
  readonly pin: number;
}

const PIN = /^([vVdDaA])(\d{1,7})$/;
const KIND: Record<string, PinKind> = { v: 'virtual', d: 'digital', a: 'analog' };

/** `v1`, `V1`, `d3`, `a0` → the pin; anything else undefined. Case-sensitive digits-only tail. */
export function parsePinKey(text: string): PinKey | undefined {
  const match = PIN.exec(text);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { kind: KIND[match[1].toLowerCase()] as PinKind, pin: Number(match[2]) };
}

/** Like parsePinKey, but a malformed key is `Wrong pin format.` */
export function requirePinKey(text: string | undefined): PinKey {
  const key = text === undefined ? undefined : parsePinKey(text);
  if (key === undefined) throw new DeviceApiError(DeviceApiText.wrongPin);
  return key;
}

/** The datastream on a pin, if the template has one. */
export function datastreamAt(template: Template, key: PinKey): Datastream | undefined {
  if (key.kind !== 'virtual') return undefined;
  return template.datastreams.find((ds) => ds.pin === key.pin);
}

/** The datastream with a numeric id given as text: `Wrong dataStreamId format.` unless digits. */
export function datastreamById(template: Template, text: string): Datastream | undefined {
  if (!/^\d{1,15}$/.test(text)) throw new DeviceApiError(DeviceApiText.wrongDataStreamId);
  const id = Number(text);
  return template.datastreams.find((ds) => ds.id === id);
}

/** Canonical key of a datastream in JSON answers: `v{pin}`. */
export function pinName(ds: Pick<Datastream, 'pin'>): string {
  return `v${ds.pin}`;
}
