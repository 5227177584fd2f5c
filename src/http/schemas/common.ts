import { MAX_PAGE_SIZE } from '../../platform/orgs/paging.js';

/**
 * Building blocks shared by the route schemas: the error envelopes, id and paging query
 * parameters, and the `{content, totalElements}` page shape (spec §6.4).
 */

/** Platform API error body (spec §6.1): `{"error":{"message":"…"}}`. */
export const errorEnvelopeSchema = {
  $id: 'ErrorEnvelope',
  type: 'object',
  required: ['error'],
  properties: {
    error: { type: 'object', required: ['message'], properties: { message: { type: 'string' } } },
  },
} as const;

/** OAuth token endpoint error body (RFC 6749 §5.2). */
export const oauthErrorSchema = {
  $id: 'OAuthError',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'string',
      enum: [
        'invalid_request',
        'invalid_client',
        'invalid_grant',
        'unauthorized_client',
        'unsupported_grant_type',
        'server_error',
      ],
    },
    error_description: { type: 'string' },
  },
} as const;

export const errorResponses = {
  '4xx': { $ref: 'ErrorEnvelope#' },
  '5xx': { $ref: 'ErrorEnvelope#' },
} as const;

/** Bearer token or console session for every `/api/v1` and `/api/v2` operation (OpenAPI). */
export const bearerSecurity: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { sessionCookie: [] }];

export const idParam = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;

/** Epoch milliseconds. */
export const timestamp = { type: 'integer', minimum: 0 } as const;

/** `page` is 0-based; `size` defaults to 50, at most 1000 (spec §6.4). */
export const pageParams = {
  page: { type: 'integer', minimum: 0, maximum: 1_000_000, description: '0-based page number' },
  size: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, description: 'page size (default 50)' },
} as const;

/** A querystring schema with the given properties; unknown parameters are refused. */
export function query(properties: Record<string, unknown>, required: readonly string[] = []) {
  return { type: 'object', additionalProperties: false, required, properties } as const;
}

/** `{content: [...], totalElements}`. */
export function pageOf(itemRef: string) {
  return {
    type: 'object',
    required: ['content', 'totalElements'],
    properties: {
      content: { type: 'array', items: { $ref: `${itemRef}#` } },
      totalElements: { type: 'integer' },
    },
  } as const;
}

/** Deletions answer 204 without a body. */
export const noContent = { type: 'null', description: 'No content' } as const;

export const nullableInteger = { type: ['integer', 'null'] } as const;

/** Route schemas of one OpenAPI tag, bearer-protected: `op('Get a device', { querystring, response })`. */
export function operationsOf(tag: string) {
  return <T extends object>(summary: string, parts: T) => ({
    tags: [tag],
    security: bearerSecurity,
    summary,
    ...parts,
  });
}
