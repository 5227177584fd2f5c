import { NotFoundError, ValidationError } from '../errors.js';

/** Static tokens generated per call. */
export const maxStaticTokensPerCall = 1000;
/** spec §5.6/§7.1: an event occurrence's description. */
export const maxEventDescription = 300;
/** spec §5.7 (data-converter limits, applied to every writer). */
export const maxPropertyValues = 100;
export const maxPropertyValueLength = 1000;
export const maxPropertyNameLength = 64;

/** spec §5.4: ≤ 50 characters of letters, digits, spaces, `'`, `_`, `-`. */
const deviceName = /^[\p{L}\p{N} '_-]{1,50}$/u;

/** The one answer for a missing device and for one outside the caller's scope (spec §6.4). */
export function deviceNotFound(deviceId: number): NotFoundError {
  return new NotFoundError(
    `Device with identifier ${deviceId} is not found or belong to another organization.`,
  );
}

export function staticTokenNotFound(id: number | string): NotFoundError {
  return new NotFoundError(
    `Static token with identifier ${id} is not found or belong to another organization.`,
  );
}

export function validateDeviceName(name: string): string {
  if (typeof name !== 'string' || !deviceName.test(name) || name.trim() === '') {
    throw new ValidationError(
      'Device name must be 1 to 50 characters: letters, digits, spaces, apostrophes, underscores, hyphens.',
    );
  }
  return name;
}

/** An optional from/to window, checked. */
export function timeWindow(query: { from?: number; to?: number }): { from?: number; to?: number } {
  for (const bound of [query.from, query.to]) {
    if (bound !== undefined && !Number.isSafeInteger(bound))
      throw new ValidationError('from/to must be epoch milliseconds.');
  }
  return {
    ...(query.from === undefined ? {} : { from: query.from }),
    ...(query.to === undefined ? {} : { to: query.to }),
  };
}

export function validateProperty(name: string, values: readonly string[]): void {
  if (name.length === 0 || name.length > maxPropertyNameLength) {
    throw new ValidationError(`Property name must be 1 to ${maxPropertyNameLength} characters.`);
  }
  if (
    values.length > maxPropertyValues ||
    values.some((v) => typeof v !== 'string' || v.length > maxPropertyValueLength)
  ) {
    throw new ValidationError(
      `A property holds at most ${maxPropertyValues} values of at most ${maxPropertyValueLength} characters.`,
    );
  }
}

/** The device (or anything keyed by it) if present; the device NotFoundError otherwise. */
export function found<T>(value: T | undefined, deviceId: number): T {
  if (value === undefined) throw deviceNotFound(deviceId);
  return value;
}
