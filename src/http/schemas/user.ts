import { MAX_EMAIL_LENGTH } from '../../lib/email-address.js';
import { ROLES } from '../../platform/model.js';
import { MAX_PASSWORD_LENGTH, MAX_USER_NAME_LENGTH } from '../../platform/users/user-validation.js';
import { idParam, timestamp } from './common.js';

const role = { type: 'string', enum: ROLES } as const;
const email = { type: 'string', minLength: 3, maxLength: MAX_EMAIL_LENGTH } as const;
// The length rule (10 to 256 characters) is the service's, with its own message.
const password = { type: 'string', maxLength: MAX_PASSWORD_LENGTH * 4 } as const;

/** A console user (never the password hash). */
export const userSchema = {
  $id: 'User',
  type: 'object',
  required: ['id', 'email', 'name', 'orgId', 'role', 'createdAt'],
  properties: {
    id: { type: 'integer' },
    email: { type: 'string' },
    name: { type: 'string' },
    orgId: { type: 'integer', description: 'the membership organization' },
    role,
    createdAt: timestamp,
  },
} as const;

/** Sign-in and `GET /api/v1/session` answer. */
export const sessionSchema = {
  $id: 'Session',
  type: 'object',
  required: ['user', 'memberships', 'csrfToken'],
  properties: {
    user: {
      type: 'object',
      required: ['id', 'email', 'name'],
      properties: { id: { type: 'integer' }, email: { type: 'string' }, name: { type: 'string' } },
    },
    memberships: {
      type: 'array',
      items: {
        type: 'object',
        required: ['orgId', 'orgName', 'role'],
        properties: { orgId: { type: 'integer' }, orgName: { type: 'string' }, role },
      },
    },
    csrfToken: { type: 'string', description: 'send as X-CSRF-Token on every write' },
  },
} as const;

export const loginBody = {
  type: 'object',
  additionalProperties: false,
  required: ['email', 'password'],
  properties: { email: { type: 'string', maxLength: 1024 }, password: { type: 'string', maxLength: 1024 } },
} as const;

export const ownPasswordBody = {
  type: 'object',
  additionalProperties: false,
  required: ['currentPassword', 'password'],
  properties: { currentPassword: { type: 'string', maxLength: 1024 }, password },
} as const;

export const userCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['email', 'password', 'role'],
  properties: {
    email,
    name: { type: 'string', minLength: 1, maxLength: MAX_USER_NAME_LENGTH },
    password,
    role,
    orgId: { ...idParam, description: "membership organization; defaults to the caller's" },
  },
} as const;

export const userRoleBody = {
  type: 'object',
  additionalProperties: false,
  required: ['role'],
  properties: { role, orgId: { ...idParam, description: 'move the membership to this organization' } },
} as const;

export const userPasswordBody = {
  type: 'object',
  additionalProperties: false,
  required: ['password'],
  properties: { password },
} as const;
