import type { FastifyInstance } from 'fastify';
import {
  generatedStaticTokenSchema,
  oauthClientCreatedSchema,
  oauthClientSchema,
  staticTokenSchema,
  tokenResponseSchema,
} from './access.js';
import { errorEnvelopeSchema, oauthErrorSchema } from './common.js';
import {
  dataStreamValueSchema,
  deviceDetailsSchema,
  deviceSchema,
  deviceWithTokenSchema,
  listedDeviceSchema,
  metaFieldValueSchema,
} from './device.js';
import { organizationSchema } from './organization.js';
import { datastreamSchema, metaFieldSchema, templateEventSchema, templateSchema } from './template.js';
import { sessionSchema, userSchema } from './user.js';

/** The named schemas routes refer to as `{ $ref: 'Name#' }`; they become OpenAPI components. */
const sharedSchemas = [
  errorEnvelopeSchema,
  oauthErrorSchema,
  tokenResponseSchema,
  organizationSchema,
  deviceSchema,
  listedDeviceSchema,
  deviceWithTokenSchema,
  dataStreamValueSchema,
  metaFieldValueSchema,
  deviceDetailsSchema,
  datastreamSchema,
  templateEventSchema,
  metaFieldSchema,
  templateSchema,
  oauthClientSchema,
  oauthClientCreatedSchema,
  staticTokenSchema,
  generatedStaticTokenSchema,
  userSchema,
  sessionSchema,
] as const;

export function registerSharedSchemas(app: FastifyInstance): void {
  for (const schema of sharedSchemas) app.addSchema(schema);
}
