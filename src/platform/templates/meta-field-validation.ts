import { ValidationError } from '../errors.js';
import { type MetaField, MetaFieldType } from '../model.js';
import { checkDistinctIds, childId } from './child-ids.js';
import {
  checkList,
  checkNumber,
  checkObject,
  checkText,
  checkTopicName,
  checkUnique,
} from './field-checks.js';
import type { MetaFieldDraft } from './template-store.js';

/** spec §5.5: every template has these five, first, with ids that never change. */
export const BUILT_IN_META_FIELDS: ReadonlyArray<{ readonly name: string; readonly type: MetaFieldType }> = [
  { name: 'Device Name', type: MetaFieldType.DeviceName },
  { name: 'Device Owner', type: MetaFieldType.DeviceOwner },
  { name: 'Location', type: MetaFieldType.Location },
  { name: 'Time Zone', type: MetaFieldType.TimeZone },
  { name: 'Hotspot Name', type: MetaFieldType.HotspotName },
];

const builtInTypes: ReadonlySet<string> = new Set(BUILT_IN_META_FIELDS.map((f) => f.type));
const builtInNames: ReadonlySet<string> = new Set(BUILT_IN_META_FIELDS.map((f) => f.name));
const customTypes: Readonly<Record<string, MetaFieldType>> = Object.fromEntries(
  Object.entries(MetaFieldType).filter(([, type]) => !builtInTypes.has(type)),
);
/** A bound so one body cannot grow without end (spec §7.1 plan limits are 5/20). */
export const MAX_META_FIELDS = 1000;
const MAX_META_VALUE = 255;

/**
 * The full metadata list of a template: the built-ins (kept as they are, with their ids on update)
 * followed by the validated custom fields. Items describing a built-in (its id, or `builtIn: true`,
 * as a template read back and sent again has them) are skipped rather than refused.
 */
export function validateMetaFields(
  input: unknown,
  current: readonly MetaField[] | undefined,
): MetaFieldDraft[] {
  const builtIns: MetaFieldDraft[] = current
    ? current.filter((f) => f.builtIn)
    : BUILT_IN_META_FIELDS.map((f) => ({ ...f, builtIn: true }));
  const builtInIds = new Set(current?.filter((f) => f.builtIn).map((f) => f.id));
  const customIds = current && new Set(current.filter((f) => !f.builtIn).map((f) => f.id));
  const items = checkList(input, 'metaFields', MAX_META_FIELDS).filter((item) => {
    const obj = checkObject(item, 'Metadata field');
    return obj.builtIn !== true && !(typeof obj.id === 'number' && builtInIds.has(obj.id));
  });
  const customs = items.map((item) => validateCustom(item as Record<string, unknown>, customIds));
  checkDistinctIds(customs, 'Metadata field');
  checkUnique(
    customs,
    (f) => f.name,
    (name) => `Metadata field name "${name}" is used twice.`,
  );
  return [...builtIns, ...customs];
}

function validateCustom(
  obj: Record<string, unknown>,
  existing: ReadonlySet<number> | undefined,
): MetaFieldDraft {
  // Names travel in `meta/NAME` and comma-separated `get/meta` lists: the datastream name rules apply.
  const name = checkTopicName(obj.name, 'Metadata field name', 50);
  if (builtInNames.has(name))
    throw new ValidationError(`Metadata field name "${name}" is reserved for a built-in field.`);
  const label = `Metadata field "${name}"`;
  const id = childId(obj.id, existing, 'Metadata field');
  if (typeof obj.type !== 'string' || !(Object.values(customTypes) as string[]).includes(obj.type)) {
    throw new ValidationError(`${label} type must be one of ${Object.values(customTypes).join(', ')}.`);
  }
  const type = obj.type as MetaFieldType;
  const bounds = validateBounds(obj, type, label);
  const options = validateOptions(obj, type, label);
  const field: MetaFieldDraft = {
    ...(id === undefined ? {} : { id }),
    name,
    type,
    builtIn: false,
    ...bounds,
    ...options,
  };
  if (obj.defaultValue === undefined || obj.defaultValue === null) return field;
  return { ...field, defaultValue: checkDefault(obj.defaultValue, field, label) };
}

function validateBounds(
  obj: Record<string, unknown>,
  type: MetaFieldType,
  label: string,
): { min?: number; max?: number } {
  const has = (v: unknown) => v !== undefined && v !== null;
  if (!has(obj.min) && !has(obj.max)) return {};
  if (type !== MetaFieldType.Number)
    throw new ValidationError(`${label} of type ${type} cannot have min or max.`);
  const bounds = {
    ...(has(obj.min) ? { min: checkNumber(obj.min, `${label} min`) } : {}),
    ...(has(obj.max) ? { max: checkNumber(obj.max, `${label} max`) } : {}),
  };
  if (bounds.min !== undefined && bounds.max !== undefined && bounds.min > bounds.max) {
    throw new ValidationError(`${label} min must not be greater than max.`);
  }
  return bounds;
}

function validateOptions(
  obj: Record<string, unknown>,
  type: MetaFieldType,
  label: string,
): { options?: readonly string[] } {
  const given = obj.options !== undefined && obj.options !== null;
  if (type !== MetaFieldType.List) {
    if (given) throw new ValidationError(`${label} of type ${type} cannot have options.`);
    return {};
  }
  if (!Array.isArray(obj.options) || obj.options.length === 0) {
    throw new ValidationError(`${label} of type List needs at least one option.`);
  }
  const options = checkList(obj.options, `${label} options`, 100).map((o) =>
    checkText(o, `${label} option`, 1, 100),
  );
  checkUnique(
    options,
    (o) => o,
    (o) => `${label} has option "${o}" twice.`,
  );
  return { options };
}

function checkDefault(value: unknown, field: MetaFieldDraft, label: string): string {
  const text = checkText(value, `${label} default value`, 0, MAX_META_VALUE);
  if (field.type === MetaFieldType.Number && text !== '') {
    const n = Number(text);
    const inRange =
      (field.min === undefined || n >= field.min) && (field.max === undefined || n <= field.max);
    if (!/^[+-]?(?:\d+\.?\d*|\.\d+)$/.test(text) || !inRange) {
      throw new ValidationError(`${label} default value must be a number within min and max.`);
    }
  }
  if (field.options && !field.options.includes(text)) {
    throw new ValidationError(`${label} default value must be one of its options.`);
  }
  return text;
}
