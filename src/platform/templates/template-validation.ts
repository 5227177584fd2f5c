import { ValidationError } from '../errors.js';
import type { Template } from '../model.js';
import { validateDatastreams } from './datastream-validation.js';
import { validateEvents } from './event-validation.js';
import { checkBoolean, checkInteger, checkText, optionalText } from './field-checks.js';
import { validateMetaFields } from './meta-field-validation.js';
import type { TemplateChildren, TemplateFields } from './template-store.js';

export const MAX_TEMPLATE_NAME = 100;
export const MAX_OFFLINE_DELAY_SEC = 86_400;
export const DEFAULT_OFFLINE_DELAY_SEC = 60;

type EditableFields = Omit<TemplateFields, 'orgId' | 'templateId'>;

/** The template's own fields (spec §5.2) with their defaults, for a new template. */
export function validateNewFields(input: Record<string, unknown>): EditableFields {
  return {
    name: checkText(input.name, 'Template name', 1, MAX_TEMPLATE_NAME),
    description: optionalText(input.description, 'Template description', 1000, ''),
    boardType: optionalText(input.boardType, 'Template boardType', 50, ''),
    connectionType: optionalText(input.connectionType, 'Template connectionType', 50, ''),
    gatewayEnabled: checkBoolean(input.gatewayEnabled, 'Template gatewayEnabled', false),
    offlineDelaySec:
      input.offlineDelaySec === undefined
        ? DEFAULT_OFFLINE_DELAY_SEC
        : checkInteger(input.offlineDelaySec, 'Template offlineDelaySec', 0, MAX_OFFLINE_DELAY_SEC),
  };
}

/** Only the fields a patch gives; identity fields may be repeated but not changed. */
export function validatePatchFields(
  patch: Record<string, unknown>,
  current: Template,
): Partial<EditableFields> {
  if (patch.orgId !== undefined && patch.orgId !== current.orgId) {
    throw new ValidationError('A template cannot be moved to another organization.');
  }
  // Firmware carries the Template ID (`info/mcu` tmpl): changing it would orphan every device.
  if (patch.templateId !== undefined && patch.templateId !== current.templateId) {
    throw new ValidationError('Template ID cannot be changed.');
  }
  const full = validateNewFields({ ...current, ...definedOnly(patch) });
  const out: Partial<Record<keyof EditableFields, unknown>> = {};
  for (const key of Object.keys(full) as Array<keyof EditableFields>) {
    if (patch[key] !== undefined) out[key] = full[key];
  }
  return out as Partial<EditableFields>;
}

/**
 * Child lists (spec §5.3, §5.5, §5.6). On create (`current` undefined) absent lists are empty and
 * the built-in metadata fields are added; on update only the given lists are replaced, and ids
 * must name items of `current`.
 */
export function validateChildren(
  input: Record<string, unknown>,
  maxDatastreams: number,
  current: Template | undefined,
): TemplateChildren {
  const ids = (items: ReadonlyArray<{ id: number }> | undefined) => items && new Set(items.map((i) => i.id));
  const given = (v: unknown) => v !== undefined && v !== null;
  const children: {
    -readonly [K in keyof TemplateChildren]: TemplateChildren[K];
  } = {};
  if (given(input.datastreams) || !current) {
    children.datastreams = validateDatastreams(
      input.datastreams ?? [],
      maxDatastreams,
      ids(current?.datastreams),
    );
  }
  if (given(input.events) || !current) {
    children.events = validateEvents(input.events ?? [], ids(current?.events));
  }
  if (given(input.metaFields) || !current) {
    children.metaFields = validateMetaFields(input.metaFields ?? [], current?.metaFields);
  }
  return children;
}

function definedOnly(patch: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
}
