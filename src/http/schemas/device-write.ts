import { idParam, timestamp } from './common.js';

/**
 * Bodies of the Platform API calls that change device state (spec §6.4 "Causes downlinks / writes
 * device state") and the answers of the devgate device commands. Values are left untyped here:
 * Fastify's type coercion would turn a `null` into `0`, and the value-typing rules (spec §3.5)
 * give a better reason than a schema could.
 */

const anyValue = { description: 'number, string, boolean or [lon, lat], typed by the datastream' } as const;

/** `POST …/device/datastream`. */
export const datastreamWriteBody = {
  type: 'object',
  additionalProperties: false,
  required: ['deviceId', 'dataStreamId', 'value'],
  properties: { deviceId: idParam, dataStreamId: idParam, value: anyValue },
} as const;

/** Datastreams one `…/device/datastreams` call may set. */
export const MAX_VALUES_PER_WRITE = 1000;

/** `POST …/device/datastreams`: `values` keyed by datastream id. */
export const datastreamsWriteBody = {
  type: 'object',
  additionalProperties: false,
  required: ['deviceId', 'values'],
  properties: {
    deviceId: idParam,
    values: {
      type: 'object',
      minProperties: 1,
      maxProperties: MAX_VALUES_PER_WRITE,
      propertyNames: { pattern: '^[1-9][0-9]{0,14}$' },
      additionalProperties: anyValue,
      description: '{"<dataStreamId>": value, …}',
    },
  },
} as const;

/** `POST …/device/datastream/property`. */
export const propertyWriteBody = {
  type: 'object',
  additionalProperties: false,
  required: ['deviceId', 'dataStreamId', 'property', 'value'],
  properties: {
    deviceId: idParam,
    dataStreamId: idParam,
    property: { type: 'string', minLength: 1, maxLength: 64, description: 'e.g. label, color, isDisabled' },
    value: { description: 'string, number, boolean, or an array of them (multi-value properties)' },
  },
} as const;

/** `POST …/device/metafield`. */
export const metafieldWriteBody = {
  type: 'object',
  additionalProperties: false,
  required: ['deviceId', 'metaFieldId', 'newValue'],
  properties: {
    deviceId: idParam,
    metaFieldId: idParam,
    newValue: { description: 'the value as text (a number or boolean is taken as its text)' },
  },
} as const;

/** spec §5.6: code + description of a Platform API event, characters. */
export const MAX_EVENT_TEXT = 1024;

/** `POST …/device/trigger-event`. */
export const triggerEventBody = {
  type: 'object',
  additionalProperties: false,
  required: ['deviceId', 'eventCode'],
  properties: {
    deviceId: idParam,
    eventCode: { type: 'string', minLength: 1, maxLength: MAX_EVENT_TEXT },
    eventDescription: {
      type: 'string',
      maxLength: 300,
      description: "at most 300 characters; the event's own description when absent",
    },
  },
} as const;

/** spec §6.2/§7.1: points per import. */
export const MAX_IMPORT_POINTS = 10_000;

/** `POST …/device/import/batch`. */
export const importBatchBody = {
  type: 'object',
  additionalProperties: false,
  required: ['deviceId', 'dataStreamId', 'values'],
  properties: {
    deviceId: idParam,
    dataStreamId: idParam,
    values: {
      type: 'array',
      minItems: 1,
      description: `at most ${MAX_IMPORT_POINTS} points, each at most one month old`,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['value', 'ts'],
        properties: { value: anyValue, ts: { ...timestamp, description: 'epoch milliseconds' } },
      },
    },
  },
} as const;

/** `POST …/device/ping` answer. */
export const pingResultSchema = {
  type: 'object',
  required: ['connected', 'rttMs'],
  properties: {
    connected: { type: 'boolean' },
    rttMs: { type: ['number', 'null'], description: 'PUBACK round trip; null when unanswered' },
    otherNode: {
      type: 'boolean',
      description: 'Cluster: connected to another node, which did not answer the ping in time (rttMs null)',
    },
  },
} as const;

/** `GET …/device/online` answer. */
export const onlineSchema = {
  type: 'object',
  required: ['connected', 'lastPingRttMs'],
  properties: {
    connected: { type: 'boolean' },
    lastPingRttMs: {
      type: ['number', 'null'],
      description: "round trip of this node's last ping, null when none or unanswered",
    },
  },
} as const;
