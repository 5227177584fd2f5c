import { ValidationError } from '../errors.js';
import { type MetaField, MetaFieldType } from '../model.js';

const invalid = () => new ValidationError('The provided value for metafield is invalid.');
/** Any metadata value (a Table is CSV text, the largest kind). */
const maxValueLength = 10_000;
/** spec §5.5: Text ≤ 255. */
const maxTextLength = 255;

/** spec §5.5: checks a value against its field's type; the documented constraints only. */
export function validateMetaValue(field: MetaField, value: string): void {
  if (typeof value !== 'string' || value.length > maxValueLength) throw invalid();
  switch (field.type) {
    case MetaFieldType.Text:
      if (value.length > maxTextLength) throw invalid();
      return;
    case MetaFieldType.Number: {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw invalid();
      if ((field.min !== undefined && n < field.min) || (field.max !== undefined && n > field.max))
        throw invalid();
      return;
    }
    case MetaFieldType.List:
      if (field.options !== undefined && !field.options.includes(value)) throw invalid();
      return;
    case MetaFieldType.Imei:
      if (!/^\d{15}$/.test(value)) throw invalid();
      return;
    case MetaFieldType.Email:
      if (!/^[^@\s]+@[^@\s]+$/.test(value)) throw invalid();
      return;
    default:
      return;
  }
}
