import type {
  Datastream,
  DatastreamType,
  DatastreamValue,
  EventType,
  MetaField,
  MetaFieldType,
  Template,
  TemplateEvent,
} from '../model.js';
import type {
  DatastreamDraft,
  MetaFieldDraft,
  TemplateEventDraft,
  TemplateFields,
} from './template-store.js';

/**
 * A boolean column as a driver returns it: SQLite stores 0/1, PostgreSQL has `boolean`.
 * Written as a JS boolean; the SQLite store turns it into 0/1 before binding.
 */
export type Flag = number | boolean;

const isSet = (flag: Flag): boolean => flag === true || flag === 1;

/**
 * Row shapes of the template tables (same names on SQLite and PostgreSQL) and their mapping to the
 * model, shared by both backends; NULL columns become absent fields.
 */
export interface TemplateRow {
  id: number;
  template_id: string;
  org_id: number;
  name: string;
  description: string;
  board_type: string;
  connection_type: string;
  gateway_enabled: Flag;
  offline_delay_sec: number;
  created_at: number;
  last_modified_ts: number;
}

export interface DatastreamRow {
  id: number;
  template_id: number;
  name: string;
  alias: string | null;
  pin: number;
  type: string;
  min: number | null;
  max: number | null;
  default_value: string | null;
  units: string | null;
  decimals: number | null;
  is_sync: Flag;
  is_raw: Flag;
  enum_values: string | null;
  enum_fallback: number | null;
}

export interface EventRow {
  id: number;
  template_id: number;
  code: string;
  name: string;
  type: string;
  description: string;
}

export interface MetaFieldRow {
  id: number;
  template_id: number;
  name: string;
  type: string;
  built_in: Flag;
  default_value: string | null;
  min: number | null;
  max: number | null;
  options: string | null;
}

export interface TemplateChildRows {
  readonly datastreams: readonly DatastreamRow[];
  readonly events: readonly EventRow[];
  readonly metaFields: readonly MetaFieldRow[];
}

export function toTemplate(row: TemplateRow, children: TemplateChildRows): Template {
  return {
    id: row.id,
    templateId: row.template_id,
    orgId: row.org_id,
    name: row.name,
    description: row.description,
    boardType: row.board_type,
    connectionType: row.connection_type,
    gatewayEnabled: isSet(row.gateway_enabled),
    offlineDelaySec: row.offline_delay_sec,
    datastreams: children.datastreams.map(toDatastream),
    events: children.events.map(toEvent),
    metaFields: children.metaFields.map(toMetaField),
    createdAt: row.created_at,
    lastModifiedTs: row.last_modified_ts,
  };
}

function toDatastream(row: DatastreamRow): Datastream {
  return {
    id: row.id,
    name: row.name,
    ...(row.alias === null ? {} : { alias: row.alias }),
    pin: row.pin,
    type: row.type as DatastreamType,
    ...(row.min === null ? {} : { min: row.min }),
    ...(row.max === null ? {} : { max: row.max }),
    ...(row.default_value === null ? {} : { defaultValue: JSON.parse(row.default_value) as DatastreamValue }),
    ...(row.units === null ? {} : { units: row.units }),
    ...(row.decimals === null ? {} : { decimals: row.decimals }),
    isSync: isSet(row.is_sync),
    isRaw: isSet(row.is_raw),
    ...(row.enum_values === null
      ? {}
      : { enumValues: JSON.parse(row.enum_values) as Datastream['enumValues'] }),
    ...(row.enum_fallback === null ? {} : { enumFallback: row.enum_fallback }),
  };
}

function toEvent(row: EventRow): TemplateEvent {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    type: row.type as EventType,
    description: row.description,
  };
}

function toMetaField(row: MetaFieldRow): MetaField {
  return {
    id: row.id,
    name: row.name,
    type: row.type as MetaFieldType,
    builtIn: isSet(row.built_in),
    ...(row.default_value === null ? {} : { defaultValue: row.default_value }),
    ...(row.min === null ? {} : { min: row.min }),
    ...(row.max === null ? {} : { max: row.max }),
    ...(row.options === null ? {} : { options: JSON.parse(row.options) as string[] }),
  };
}

/** Column values of a datastream row (booleans as booleans). */
export function datastreamParams(draft: DatastreamDraft, templateId: number, position: number) {
  return {
    template_id: templateId,
    position,
    name: draft.name,
    alias: draft.alias ?? null,
    pin: draft.pin,
    type: draft.type,
    min: draft.min ?? null,
    max: draft.max ?? null,
    default_value: draft.defaultValue === undefined ? null : JSON.stringify(draft.defaultValue),
    units: draft.units ?? null,
    decimals: draft.decimals ?? null,
    is_sync: draft.isSync,
    is_raw: draft.isRaw,
    enum_values: draft.enumValues === undefined ? null : JSON.stringify(draft.enumValues),
    enum_fallback: draft.enumFallback ?? null,
  };
}

export function eventParams(draft: TemplateEventDraft, templateId: number, position: number) {
  return {
    template_id: templateId,
    position,
    code: draft.code,
    name: draft.name,
    type: draft.type,
    description: draft.description,
  };
}

export function metaFieldParams(draft: MetaFieldDraft, templateId: number, position: number) {
  return {
    template_id: templateId,
    position,
    name: draft.name,
    type: draft.type,
    built_in: draft.builtIn,
    default_value: draft.defaultValue ?? null,
    min: draft.min ?? null,
    max: draft.max ?? null,
    options: draft.options === undefined ? null : JSON.stringify(draft.options),
  };
}

/** The template's own columns by model field. */
export const templateFieldColumns: Readonly<Record<keyof TemplateFields, string>> = {
  templateId: 'template_id',
  orgId: 'org_id',
  name: 'name',
  description: 'description',
  boardType: 'board_type',
  connectionType: 'connection_type',
  gatewayEnabled: 'gateway_enabled',
  offlineDelaySec: 'offline_delay_sec',
};

/** Column values of the given template fields only, by column name. */
export function templateFieldValues(
  fields: Partial<TemplateFields>,
): Record<string, string | number | boolean> {
  const values: Record<string, string | number | boolean> = {};
  for (const [key, column] of Object.entries(templateFieldColumns)) {
    const value = fields[key as keyof TemplateFields];
    if (value !== undefined) values[column] = value;
  }
  return values;
}

/** Each child table's own columns (besides id, template_id and position), as the *Params functions name them. */
export const datastreamColumns = [
  'name',
  'alias',
  'pin',
  'type',
  'min',
  'max',
  'default_value',
  'units',
  'decimals',
  'is_sync',
  'is_raw',
  'enum_values',
  'enum_fallback',
] as const;
export const eventColumns = ['code', 'name', 'type', 'description'] as const;
export const metaFieldColumns = [
  'name',
  'type',
  'built_in',
  'default_value',
  'min',
  'max',
  'options',
] as const;
