import { ValidationError } from '../errors.js';
import { EventType } from '../model.js';
import { checkDistinctIds, childId } from './child-ids.js';
import { checkList, checkObject, checkOneOf, checkText, checkUnique, optionalText } from './field-checks.js';
import type { TemplateEventDraft } from './template-store.js';

/** No plan limits here (spec §7.1 has 5/100); a bound so one body cannot grow without end. */
export const MAX_EVENTS = 1000;
const codePattern = /^[\p{L}\p{N}_ ]{1,50}$/u;

/** Validates a full event list (spec §5.6): codes of letters, digits, spaces, underscores (≤ 50), unique. */
export function validateEvents(
  input: unknown,
  existing: ReadonlySet<number> | undefined,
): TemplateEventDraft[] {
  const drafts = checkList(input, 'events', MAX_EVENTS).map((item, i) => validateEvent(item, i, existing));
  checkDistinctIds(drafts, 'Event');
  checkUnique(
    drafts,
    (e) => e.code,
    (code) => `Event code "${code}" is used twice.`,
  );
  return drafts;
}

function validateEvent(
  item: unknown,
  index: number,
  existing: ReadonlySet<number> | undefined,
): TemplateEventDraft {
  const obj = checkObject(item, `Event #${index + 1}`);
  if (typeof obj.code !== 'string' || !codePattern.test(obj.code) || obj.code.trim() === '') {
    throw new ValidationError('Event code must be 1-50 letters, digits, spaces or underscores.');
  }
  const code = obj.code;
  const id = childId(obj.id, existing, 'Event');
  return {
    ...(id === undefined ? {} : { id }),
    code,
    name:
      obj.name === undefined || obj.name === null
        ? code
        : checkText(obj.name, `Event "${code}" name`, 1, 100),
    type:
      obj.type === undefined || obj.type === null
        ? EventType.Information
        : checkOneOf(obj.type, `Event "${code}" type`, EventType),
    description: optionalText(obj.description ?? undefined, `Event "${code}" description`, 250, ''),
  };
}
