import { OrgType } from '../../platform/model.js';
import { idParam, nullableInteger, timestamp } from './common.js';

const addressProperties = {
  fullAddress: { type: 'string', maxLength: 255 },
  city: { type: 'string', maxLength: 255 },
  country: { type: 'string', maxLength: 255 },
  state: { type: 'string', maxLength: 255 },
  zip: { type: 'string', maxLength: 32 },
} as const;

/** spec §5.1 */
export const organizationSchema = {
  $id: 'Organization',
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    description: { type: 'string' },
    type: { type: 'string', enum: Object.values(OrgType) },
    parentOrganizationId: nullableInteger,
    isActive: { type: 'boolean' },
    tz: { type: 'string' },
    unitSystem: { type: 'string', enum: ['METRIC', 'IMPERIAL'] },
    phoneNumber: { type: 'string' },
    address: { type: 'object', properties: addressProperties },
    homeRegionUrl: { type: 'string' },
    createdAt: timestamp,
    lastModifiedTs: timestamp,
  },
} as const;

/** Fields an organization can be created or updated with (spec §5.1 limits). */
const orgInputProperties = {
  name: { type: 'string', minLength: 3, maxLength: 100 },
  description: { type: 'string', maxLength: 1000 },
  type: { type: 'string', enum: Object.values(OrgType) },
  tz: { type: 'string', minLength: 1, maxLength: 64, description: 'IANA time zone' },
  unitSystem: { type: 'string', enum: ['METRIC', 'IMPERIAL'] },
  phoneNumber: { type: 'string', maxLength: 32 },
  address: { type: 'object', additionalProperties: false, properties: addressProperties },
  homeRegionUrl: { type: 'string', maxLength: 2048, description: 'base URL of the home region' },
} as const;

export const orgCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    ...orgInputProperties,
    parentOrganizationId: { ...idParam, description: "defaults to the caller's organization" },
  },
} as const;

export const orgUpdateBody = {
  type: 'object',
  additionalProperties: false,
  properties: { ...orgInputProperties, isActive: { type: 'boolean' } },
} as const;
