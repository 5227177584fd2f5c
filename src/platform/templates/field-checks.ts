import { ValidationError } from '../errors.js';

/**
 * Field checks for template definitions. Inputs come from JSON bodies too, so every check tests
 * the runtime type before the rule; each failure is a ValidationError naming the field.
 */

export function checkText(value: unknown, what: string, min: number, max: number): string {
  if (typeof value !== 'string') throw new ValidationError(`${what} must be a string.`);
  if (value.length < min || value.length > max) {
    throw new ValidationError(
      min > 0 ? `${what} must be ${min}-${max} characters.` : `${what} must be at most ${max} characters.`,
    );
  }
  if (min > 0 && value.trim() === '') throw new ValidationError(`${what} must not be blank.`);
  return value;
}

export function optionalText(value: unknown, what: string, max: number, fallback: string): string {
  return value === undefined ? fallback : checkText(value, what, 0, max);
}

export function checkInteger(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(`${what} must be an integer from ${min} to ${max}.`);
  }
  return value;
}

export function checkNumber(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ValidationError(`${what} must be a finite number.`);
  return value;
}

export function checkBoolean(value: unknown, what: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ValidationError(`${what} must be true or false.`);
  return value;
}

export function checkOneOf<T extends string>(
  value: unknown,
  what: string,
  allowed: Readonly<Record<string, T>>,
): T {
  const values = Object.values(allowed);
  if (typeof value !== 'string' || !values.includes(value as T)) {
    throw new ValidationError(`${what} must be one of ${values.join(', ')}.`);
  }
  return value as T;
}

export function checkList(value: unknown, what: string, max: number): readonly unknown[] {
  if (!Array.isArray(value)) throw new ValidationError(`${what} must be a list.`);
  if (value.length > max) throw new ValidationError(`${what} may have at most ${max} items.`);
  return value;
}

export function checkObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(`${what} must be an object.`);
  }
  return value as Record<string, unknown>;
}

/** Characters that would make `ds/NAME/...`, `meta/NAME` or a `get/ds` list ambiguous (spec §3.8). */
const topicUnsafe = /[/+#,\p{Cc}]/u;

/**
 * A name used in topics (datastreams, metadata fields): 1..max characters, none of `/ + # ,`, NUL or
 * other control characters (spec §3.8), no leading or trailing space (it would not survive a form).
 */
export function checkTopicName(value: unknown, what: string, max: number): string {
  const name = checkText(value, what, 1, max);
  if (topicUnsafe.test(name)) {
    throw new ValidationError(`${what} "${printable(name)}" must not contain / + # , or control characters.`);
  }
  if (name.trim() !== name)
    throw new ValidationError(`${what} "${name}" must not start or end with a space.`);
  return name;
}

/** Throws when two items share a key; `describe` names the duplicate. */
export function checkUnique<T, K>(
  items: readonly T[],
  key: (item: T) => K,
  describe: (k: K) => string,
): void {
  const seen = new Set<K>();
  for (const item of items) {
    const k = key(item);
    if (seen.has(k)) throw new ValidationError(describe(k));
    seen.add(k);
  }
}

function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, (c) => (c === '\0' ? '\\0' : '?'));
}
