import { ValidationError } from '../errors.js';
import { DatastreamType, type DatastreamValue, type EnumEntry } from '../model.js';
import { checkDistinctIds, childId } from './child-ids.js';
import {
  checkBoolean,
  checkInteger,
  checkList,
  checkNumber,
  checkObject,
  checkOneOf,
  checkText,
  checkTopicName,
  checkUnique,
} from './field-checks.js';
import type { DatastreamDraft } from './template-store.js';
import { coerceJsonValue, INT32_MAX, INT32_MIN, type TypedDatastream } from './value-typing.js';

export const MAX_DATASTREAM_NAME = 50;
export const MAX_PIN = 255;
const aliasPattern = /^[\p{L}\p{N} ]{1,50}$/u;

/**
 * Validates a full datastream list (spec §5.3): unique ids, names and pins; per-type bounds,
 * Enum mapping and default value. Returns complete drafts in the given order.
 */
export function validateDatastreams(
  input: unknown,
  maxCount: number,
  existing: ReadonlySet<number> | undefined,
): DatastreamDraft[] {
  if (Array.isArray(input) && input.length > maxCount) {
    throw new ValidationError(`A template may have at most ${maxCount} datastreams.`);
  }
  const drafts = checkList(input, 'datastreams', maxCount).map((item, i) =>
    validateDatastream(item, i, existing),
  );
  checkDistinctIds(drafts, 'Datastream');
  checkUnique(
    drafts,
    (d) => d.name,
    (name) => `Datastream name "${name}" is used twice.`,
  );
  checkUnique(
    drafts,
    (d) => d.pin,
    (pin) => `Pin ${pin} is used by two datastreams.`,
  );
  const aliased = drafts.filter((d) => d.alias !== undefined);
  checkUnique(
    aliased,
    (d) => d.alias,
    (alias) => `Datastream alias "${alias}" is used twice.`,
  );
  return drafts;
}

function validateDatastream(
  item: unknown,
  index: number,
  existing: ReadonlySet<number> | undefined,
): DatastreamDraft {
  const obj = checkObject(item, `Datastream #${index + 1}`);
  const name = checkTopicName(obj.name, 'Datastream name', MAX_DATASTREAM_NAME);
  const label = `Datastream "${name}"`;
  const id = childId(obj.id, existing, 'Datastream');
  const type = checkOneOf(obj.type, `${label} type`, DatastreamType);
  const bounds = validateBounds(obj, type, label);
  const enumeration = validateEnum(obj, type, label);
  const typed: TypedDatastream = { name, type, ...bounds, ...enumeration };
  return {
    ...(id === undefined ? {} : { id }),
    name,
    ...optional('alias', obj.alias, (v) => checkAlias(v, label)),
    pin: checkInteger(obj.pin, `${label} pin`, 0, MAX_PIN),
    type,
    ...bounds,
    ...optional('defaultValue', obj.defaultValue, (v) => checkDefault(typed, v, label)),
    ...optional('units', obj.units, (v) => checkText(v, `${label} units`, 0, 50)),
    ...optional('decimals', obj.decimals, (v) => checkInteger(v, `${label} decimals`, 0, 10)),
    isSync: checkBoolean(obj.isSync, `${label} isSync`, false),
    isRaw: checkBoolean(obj.isRaw, `${label} isRaw`, false),
    ...enumeration,
  };
}

/** `{ [key]: check(value) }`, or nothing when the value is absent (JSON null counts as absent). */
function optional<K extends string, T>(key: K, value: unknown, check: (v: unknown) => T): { [P in K]?: T } {
  return value === undefined || value === null ? {} : ({ [key]: check(value) } as { [P in K]: T });
}

function checkAlias(value: unknown, label: string): string {
  if (typeof value !== 'string' || !aliasPattern.test(value)) {
    throw new ValidationError(`${label} alias must be 1-50 letters, digits or spaces.`);
  }
  return value;
}

function validateBounds(
  obj: Record<string, unknown>,
  type: DatastreamType,
  label: string,
): { min?: number; max?: number } {
  const given = [obj.min, obj.max].some((v) => v !== undefined && v !== null);
  if (type !== DatastreamType.Integer && type !== DatastreamType.Double) {
    if (given) throw new ValidationError(`${label} of type ${type} cannot have min or max.`);
    return {};
  }
  // spec §3.5: Integer is 32-bit signed, so its bounds are too.
  const check = (v: unknown, what: string) =>
    type === DatastreamType.Integer
      ? checkInteger(v, `${label} ${what}`, INT32_MIN, INT32_MAX)
      : checkNumber(v, `${label} ${what}`);
  const bounds = {
    ...optional('min', obj.min, (v) => check(v, 'min')),
    ...optional('max', obj.max, (v) => check(v, 'max')),
  };
  if (bounds.min !== undefined && bounds.max !== undefined && bounds.min > bounds.max) {
    throw new ValidationError(`${label} min must not be greater than max.`);
  }
  return bounds;
}

function validateEnum(
  obj: Record<string, unknown>,
  type: DatastreamType,
  label: string,
): { enumValues?: readonly EnumEntry[]; enumFallback?: number } {
  const hasFallback = obj.enumFallback !== undefined && obj.enumFallback !== null;
  if (type !== DatastreamType.Enum) {
    if ((obj.enumValues !== undefined && obj.enumValues !== null) || hasFallback) {
      throw new ValidationError(`${label} of type ${type} cannot have Enum values.`);
    }
    return {};
  }
  if (!Array.isArray(obj.enumValues) || obj.enumValues.length === 0) {
    throw new ValidationError(`${label} of type Enum needs at least one Enum value.`);
  }
  const entries = checkList(obj.enumValues, `${label} Enum values`, 1000).map((entry): EnumEntry => {
    const e = checkObject(entry, `${label} Enum value`);
    return {
      value: checkInteger(e.value, `${label} Enum value`, INT32_MIN, INT32_MAX),
      label: checkText(e.label, `${label} Enum label`, 1, 100),
    };
  });
  checkUnique(
    entries,
    (e) => e.value,
    (v) => `${label} has Enum value ${v} twice.`,
  );
  const fallback = hasFallback ? obj.enumFallback : entries[0]?.value;
  if (!entries.some((e) => e.value === fallback)) {
    throw new ValidationError(`${label} Enum fallback must be one of its Enum values.`);
  }
  return { enumValues: entries, enumFallback: fallback as number };
}

function checkDefault(ds: TypedDatastream, value: unknown, label: string): DatastreamValue {
  const result = coerceJsonValue(ds, value);
  if (!result.ok) throw new ValidationError(`${label} default value is invalid: ${result.reason}.`);
  if (result.clamped) {
    throw new ValidationError(
      ds.type === DatastreamType.Enum
        ? `${label} default value must be one of its Enum values.`
        : `${label} default value must be within min and max.`,
    );
  }
  return result.value;
}
