import { DatastreamType, EventType, MetaFieldType } from '../../platform/model.js';
import { MAX_DATASTREAM_NAME, MAX_PIN } from '../../platform/templates/datastream-validation.js';
import { MAX_EVENTS } from '../../platform/templates/event-validation.js';
import { BUILT_IN_META_FIELDS, MAX_META_FIELDS } from '../../platform/templates/meta-field-validation.js';
import { MAX_OFFLINE_DELAY_SEC, MAX_TEMPLATE_NAME } from '../../platform/templates/template-validation.js';
import { idParam, timestamp } from './common.js';

const anyValue = { description: 'number, string, boolean or [lon, lat]; checked against the type' } as const;

const enumEntry = {
  type: 'object',
  additionalProperties: false,
  required: ['value', 'label'],
  properties: { value: { type: 'integer' }, label: { type: 'string', maxLength: 255 } },
} as const;

const datastreamProperties = {
  name: { type: 'string', minLength: 1, maxLength: MAX_DATASTREAM_NAME },
  alias: { type: 'string', maxLength: 50 },
  pin: { type: 'integer', minimum: 0, maximum: MAX_PIN },
  type: { type: 'string', enum: Object.values(DatastreamType) },
  min: { type: 'number' },
  max: { type: 'number' },
  defaultValue: anyValue,
  units: { type: 'string', maxLength: 50 },
  decimals: { type: 'integer', minimum: 0, maximum: 10 },
  isSync: { type: 'boolean' },
  isRaw: { type: 'boolean' },
  enumValues: { type: 'array', items: enumEntry },
  enumFallback: { type: 'integer' },
} as const;

/** spec §5.3 */
export const datastreamSchema = {
  $id: 'Datastream',
  type: 'object',
  properties: { id: { type: 'integer' }, ...datastreamProperties },
} as const;

/** spec §5.6 */
export const templateEventSchema = {
  $id: 'TemplateEvent',
  type: 'object',
  properties: {
    id: { type: 'integer' },
    code: { type: 'string' },
    name: { type: 'string' },
    type: { type: 'string', enum: Object.values(EventType) },
    description: { type: 'string' },
  },
} as const;

const metaFieldInputProperties = {
  name: { type: 'string', minLength: 1, maxLength: 50 },
  type: { type: 'string', enum: Object.values(MetaFieldType) },
  defaultValue: { type: 'string', maxLength: 255 },
  min: { type: 'number' },
  max: { type: 'number' },
  options: { type: 'array', maxItems: 1000, items: { type: 'string', maxLength: 255 } },
} as const;

/** spec §5.5 */
export const metaFieldSchema = {
  $id: 'MetaField',
  type: 'object',
  properties: { id: { type: 'integer' }, builtIn: { type: 'boolean' }, ...metaFieldInputProperties },
} as const;

/** spec §5.2 */
export const templateSchema = {
  $id: 'Template',
  type: 'object',
  properties: {
    id: { type: 'integer' },
    templateId: { type: 'string' },
    orgId: { type: 'integer' },
    name: { type: 'string' },
    description: { type: 'string' },
    boardType: { type: 'string' },
    connectionType: { type: 'string' },
    gatewayEnabled: { type: 'boolean' },
    offlineDelaySec: { type: 'integer' },
    datastreams: { type: 'array', items: { $ref: 'Datastream#' } },
    events: { type: 'array', items: { $ref: 'TemplateEvent#' } },
    metaFields: { type: 'array', items: { $ref: 'MetaField#' } },
    createdAt: timestamp,
    lastModifiedTs: timestamp,
  },
} as const;

const datastreamInput = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'pin', 'type'],
  properties: {
    id: { ...idParam, description: 'keeps the identity of an existing datastream' },
    ...datastreamProperties,
    isSync: { type: 'boolean', default: false },
    isRaw: { type: 'boolean', default: false },
  },
} as const;

const eventInput = {
  type: 'object',
  additionalProperties: false,
  required: ['code'],
  properties: {
    id: idParam,
    code: { type: 'string', minLength: 1, maxLength: 50 },
    name: { type: 'string', maxLength: 100 },
    type: { type: 'string', enum: Object.values(EventType) },
    description: { type: 'string', maxLength: 250 },
  },
} as const;

/** Built-in fields (as read back from a template) may be sent again: they are kept, not changed. */
const metaFieldInput = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'type'],
  properties: { id: idParam, builtIn: { type: 'boolean' }, ...metaFieldInputProperties },
} as const;

const templateInputProperties = {
  name: { type: 'string', minLength: 1, maxLength: MAX_TEMPLATE_NAME },
  description: { type: 'string', maxLength: 1000 },
  boardType: { type: 'string', maxLength: 50 },
  connectionType: { type: 'string', maxLength: 50 },
  gatewayEnabled: { type: 'boolean' },
  offlineDelaySec: { type: 'integer', minimum: 0, maximum: MAX_OFFLINE_DELAY_SEC },
  // The datastream count limit is a platform option (maxDatastreamsPerTemplate): the service checks it.
  datastreams: { type: 'array', items: datastreamInput },
  events: { type: 'array', maxItems: MAX_EVENTS, items: eventInput },
  metaFields: {
    type: 'array',
    maxItems: MAX_META_FIELDS + BUILT_IN_META_FIELDS.length,
    items: metaFieldInput,
    description: 'custom fields; the five built-ins are always kept',
  },
} as const;

export const templateCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    ...templateInputProperties,
    orgId: { ...idParam, description: "defaults to the caller's organization" },
    templateId: { type: 'string', maxLength: 64, description: 'TMPL…; generated when absent' },
  },
} as const;

/** Lists given here replace the stored ones; ids keep identity. `orgId`/`templateId` may be repeated, not changed. */
export const templateUpdateBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...templateInputProperties,
    orgId: idParam,
    templateId: { type: 'string', maxLength: 64 },
  },
} as const;
