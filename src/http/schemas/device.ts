import { DeviceStatus } from '../../platform/model.js';
import { idParam, nullableInteger, timestamp } from './common.js';

/** A template reference: the numeric id or the `TMPL…` id. */
export const templateRefParam = {
  type: ['integer', 'string'],
  minLength: 1,
  maxLength: 64,
  description: 'numeric template id or TMPL… id',
} as const;

const hardwareInfoSchema = {
  type: 'object',
  properties: {
    version: { type: 'string' },
    fwType: { type: 'string' },
    blynkVersion: { type: 'string' },
    boardType: { type: 'string' },
    build: { type: 'string' },
    templateId: { type: 'string' },
    rxbuff: { type: 'integer' },
  },
} as const;

const deviceProperties = {
  id: { type: 'integer' },
  name: { type: 'string' },
  templateId: { type: 'integer' },
  orgId: { type: 'integer' },
  ownerUserId: nullableInteger,
  status: { type: 'string', enum: Object.values(DeviceStatus) },
  hardwareInfo: hardwareInfoSchema,
  activatedAt: timestamp,
  firstConnectTime: timestamp,
  connectTime: timestamp,
  disconnectTime: timestamp,
  ip: { type: 'string' },
  createdAt: timestamp,
  lastModifiedTs: timestamp,
} as const;

/** spec §5.4 minimal view (`baseInfo`); the token is never part of it. */
export const deviceSchema = { $id: 'Device', type: 'object', properties: deviceProperties } as const;

/** Presence as the device view and the device lists give it (ours, beside spec §5.4's fields). */
const presenceProperties = {
  lastSeenAt: {
    ...nullableInteger,
    description: 'now while online; else when it went offline; null: never',
  },
  isHardwareConnected: { type: 'boolean', description: 'online now (presence, spec §5.10)' },
} as const;

/** A device in a list or search page: the device and its presence. */
export const listedDeviceSchema = {
  $id: 'ListedDevice',
  type: 'object',
  properties: { ...deviceProperties, ...presenceProperties },
} as const;

/** A device as created: the only answers that carry its token besides the explicit reveal. */
export const deviceWithTokenSchema = {
  $id: 'DeviceWithToken',
  type: 'object',
  properties: { ...deviceProperties, token: { type: 'string' } },
} as const;

export const dataStreamValueSchema = {
  $id: 'DataStreamValue',
  type: 'object',
  properties: {
    dataStreamId: { type: 'integer' },
    pin: { type: 'string', description: 'v{pin}' },
    dataStreamLabel: { type: 'string' },
    dataStreamAlias: { type: 'string' },
    value: { description: 'number, string, boolean or [lon, lat]' },
    updatedAt: nullableInteger,
  },
} as const;

export const metaFieldValueSchema = {
  $id: 'MetaFieldValue',
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    type: { type: 'string' },
    value: { type: 'string' },
  },
} as const;

/** spec §5.4 full view: the device plus its current values and metadata. */
export const deviceDetailsSchema = {
  $id: 'DeviceDetails',
  type: 'object',
  properties: {
    ...deviceProperties,
    templateName: { type: 'string' },
    blynkTemplateId: { type: 'string', description: 'the template as TMPL…' },
    ...presenceProperties,
    dataStreamValues: { type: 'array', items: { $ref: 'DataStreamValue#' } },
    metaFieldValues: { type: 'array', items: { $ref: 'MetaFieldValue#' } },
  },
} as const;

/** spec §6.4 device create; also the provisioning-token request. */
export const deviceCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['templateId', 'name'],
  properties: {
    templateId: templateRefParam,
    name: { type: 'string', minLength: 1, maxLength: 50 },
    orgId: { ...idParam, description: "defaults to the caller's organization" },
    ownerId: { ...idParam, description: 'owner user id' },
  },
} as const;

export const deviceUpdateBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 50 },
    ownerId: { type: ['integer', 'null'], minimum: 1, description: 'owner user id; null clears it' },
  },
} as const;

export const deviceTransferBody = {
  type: 'object',
  additionalProperties: false,
  required: ['deviceId'],
  properties: {
    deviceId: idParam,
    newOrgId: { ...idParam, description: 'target organization (in scope)' },
    newUserId: { ...idParam, description: 'new owner user id' },
  },
} as const;

export const tokenSchema = {
  type: 'object',
  required: ['token'],
  properties: { token: { type: 'string' } },
} as const;

export const historyPageSchema = {
  type: 'object',
  required: ['content', 'totalElements'],
  properties: {
    content: {
      type: 'array',
      items: { type: 'object', properties: { createdAt: timestamp, value: {} } },
    },
    totalElements: { type: 'integer' },
  },
} as const;
