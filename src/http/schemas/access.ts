import { maxStaticTokensPerCall } from '../../platform/devices/device-rules.js';
import { idParam, nullableInteger, timestamp } from './common.js';
import { templateRefParam } from './device.js';

const oauthClientProperties = {
  id: { type: 'integer' },
  clientId: { type: 'string' },
  name: { type: 'string' },
  orgId: { type: 'integer' },
  redirectUrls: { type: 'array', items: { type: 'string' } },
  isActive: { type: 'boolean' },
  createdAt: timestamp,
} as const;

/** spec §5.8 (never the secret). */
export const oauthClientSchema = {
  $id: 'OAuthClient',
  type: 'object',
  properties: oauthClientProperties,
} as const;

/** The create answer: the only time the secret is shown. */
export const oauthClientCreatedSchema = {
  $id: 'OAuthClientWithSecret',
  type: 'object',
  properties: { ...oauthClientProperties, secret: { type: 'string' } },
} as const;

export const oauthClientCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 64 },
    orgId: { ...idParam, description: "defaults to the caller's organization" },
    redirectUrls: { type: 'array', maxItems: 11, items: { type: 'string', minLength: 1, maxLength: 2048 } },
  },
} as const;

/** RFC 6749 §5.1 as spec §6.3 shows it. */
export const tokenResponseSchema = {
  $id: 'TokenResponse',
  type: 'object',
  required: ['access_token', 'token_type', 'expires_in', 'refresh_token'],
  properties: {
    access_token: { type: 'string' },
    token_type: { type: 'string', enum: ['Bearer'] },
    expires_in: { type: 'integer' },
    refresh_token: { type: 'string' },
  },
} as const;

const staticTokenProperties = {
  id: { type: 'integer' },
  token: { type: 'string', description: 'QR token sqr_…' },
  orgId: { type: 'integer' },
  productId: { type: 'integer', description: 'numeric template id' },
  deviceId: { type: 'integer' },
  status: { type: 'string', enum: ['CLAIMED', 'UNCLAIMED'] },
  ownerId: nullableInteger,
  claimedOrgId: nullableInteger,
  createdAt: timestamp,
} as const;

/** spec §5.9 */
export const staticTokenSchema = {
  $id: 'StaticToken',
  type: 'object',
  properties: staticTokenProperties,
} as const;

export const generatedStaticTokenSchema = {
  $id: 'GeneratedStaticToken',
  type: 'object',
  properties: { ...staticTokenProperties, deviceToken: { type: 'string', description: 'device auth token' } },
} as const;

export const staticTokenGenerateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['templateId', 'count'],
  properties: {
    templateId: templateRefParam,
    orgId: { ...idParam, description: "defaults to the caller's organization" },
    count: { type: 'integer', minimum: 1, maximum: maxStaticTokensPerCall },
  },
} as const;

export const staticTokenClaimBody = {
  type: 'object',
  additionalProperties: false,
  required: ['token'],
  properties: {
    token: { type: 'string', minLength: 1, maxLength: 256, description: 'QR token sqr_…' },
    orgId: { ...idParam, description: "target organization; defaults to the caller's" },
    name: { type: 'string', minLength: 1, maxLength: 50, description: 'device name' },
    ownerId: { ...idParam, description: 'owner user id' },
  },
} as const;
