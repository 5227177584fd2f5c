import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchemaValidationError,
} from 'fastify';
import { isStorageUnavailable, PlatformError } from '../platform/errors.js';
import { ThrottledError } from './throttle.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `oauth`: errors as RFC 6749 `{error, error_description}` instead of the Platform envelope. */
    errorFormat?: 'oauth';
  }
}

/** spec §6.1 error body. */
export function envelope(message: string): { error: { message: string } } {
  return { error: { message } };
}

export const OAuthErrorCode = {
  InvalidRequest: 'invalid_request',
  InvalidClient: 'invalid_client',
  InvalidGrant: 'invalid_grant',
  UnauthorizedClient: 'unauthorized_client',
  UnsupportedGrantType: 'unsupported_grant_type',
  ServerError: 'server_error',
  /** Failed-login throttling (RFC 6749 §4.1.2.1 registers it; the token endpoint answers it with 429). */
  TemporarilyUnavailable: 'temporarily_unavailable',
} as const;
export type OAuthErrorCode = (typeof OAuthErrorCode)[keyof typeof OAuthErrorCode];

/** A token endpoint failure (RFC 6749 §5.2). */
export class OAuthError extends Error {
  readonly error: OAuthErrorCode;
  readonly status: number;
  /** Set when the client authenticated with a header scheme: the 401 must name it. */
  readonly wwwAuthenticate: string | undefined;

  constructor(
    error: OAuthErrorCode,
    description: string,
    options: { status?: number; wwwAuthenticate?: string } = {},
  ) {
    super(description);
    this.name = 'OAuthError';
    this.error = error;
    this.status = options.status ?? 400;
    this.wwwAuthenticate = options.wwwAuthenticate;
  }
}

const LOCATION: Record<string, [field: string, container: string]> = {
  body: ['body field', 'Body'],
  querystring: ['query parameter', 'Query string'],
  params: ['path parameter', 'Path'],
  headers: ['header', 'Headers'],
};

/** `/address/city` → `address.city`; `/datastreams/0/type` → `datastreams[0].type`. */
function fieldPath(instancePath: string, last?: string): string {
  const parts = instancePath.split('/').slice(1);
  if (last !== undefined) parts.push(last);
  return parts
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce(
      (path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path === '' ? part : `${path}.${part}`),
      '',
    );
}

/** One clear sentence naming the offending field (the first schema violation). */
export function formatValidationError(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const [field, container] = LOCATION[dataVar] ?? ['field', 'Request'];
  const first = errors[0];
  if (first === undefined) return new Error(`${container} is invalid.`);
  const params = first.params as Record<string, unknown>;
  if (first.keyword === 'required') {
    return new Error(
      `Missing required ${field} '${fieldPath(first.instancePath, String(params.missingProperty))}'.`,
    );
  }
  if (first.keyword === 'additionalProperties') {
    return new Error(
      `Unknown ${field} '${fieldPath(first.instancePath, String(params.additionalProperty))}'.`,
    );
  }
  const path = fieldPath(first.instancePath);
  const subject = path === '' ? container : `${field[0]?.toUpperCase()}${field.slice(1)} '${path}'`;
  return new Error(`${subject} ${first.message ?? 'is invalid'}.`);
}

interface Classified {
  readonly status: number;
  readonly message: string;
  readonly oauth: OAuthErrorCode;
  /** Logged although known (the operator must hear of it). */
  readonly log?: boolean;
}

/** Fastify's own request errors, answered with a fixed text. */
function fastifyRequestError(err: FastifyError, bodyLimit: number): Classified | undefined {
  const invalid = OAuthErrorCode.InvalidRequest;
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, message: 'Malformed JSON in request body.', oauth: invalid };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        status: 400,
        message: 'Request body is empty but content-type is application/json.',
        oauth: invalid,
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, message: `Request body is larger than ${bodyLimit} bytes.`, oauth: invalid };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, message: 'Unsupported content type.', oauth: invalid };
  }
  const status = err.statusCode;
  if (status !== undefined && status >= 400 && status < 500)
    return { status, message: err.message, oauth: invalid };
  return undefined;
}

/** Maps a thrown error to status + message; undefined means unexpected (500, details only logged). */
function classify(err: unknown, bodyLimit: number): Classified | undefined {
  if (err instanceof ThrottledError)
    return { status: 429, message: err.message, oauth: OAuthErrorCode.TemporarilyUnavailable };
  if (err instanceof OAuthError) return { status: err.status, message: err.message, oauth: err.error };
  if (isStorageUnavailable(err)) {
    // Logged: the operator needs to know; the client only that it may try again.
    return {
      status: 503,
      message: 'Service temporarily unavailable: try again later.',
      oauth: OAuthErrorCode.TemporarilyUnavailable,
      log: true,
    };
  }
  if (err instanceof PlatformError) {
    const oauth = err.status === 401 ? OAuthErrorCode.InvalidClient : OAuthErrorCode.InvalidRequest;
    return { status: err.status, message: err.message, oauth };
  }
  const fastifyError = err as FastifyError;
  if (fastifyError.validation !== undefined) {
    return { status: 400, message: fastifyError.message, oauth: OAuthErrorCode.InvalidRequest };
  }
  if (typeof fastifyError.code === 'string' && fastifyError.code.startsWith('FST_')) {
    return fastifyRequestError(fastifyError, bodyLimit);
  }
  return undefined;
}

/** Errors before routing (an undecodable URL): the same envelope, never the raw URL. */
export function frameworkErrorHandler(
  err: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const status = err.statusCode !== undefined && err.statusCode < 500 ? err.statusCode : 400;
  reply.code(status).send(envelope(err.code === 'FST_ERR_BAD_URL' ? 'Malformed URL.' : 'Bad request.'));
}

/**
 * The one error handler: platform errors keep their status and message, bad input is a 400 naming
 * the field, an oversized body a 413, anything else a 500 whose details stay in the log.
 */
export function installErrorHandling(
  app: FastifyInstance,
  bodyLimit: number,
  notFoundFallback?: (request: FastifyRequest, reply: FastifyReply) => boolean,
): void {
  app.setErrorHandler((err, request, reply) => {
    // A route may have its own limit (firmware upload).
    const known = classify(err, request.routeOptions.bodyLimit ?? bodyLimit);
    if (known === undefined || known.log === true)
      request.log.error(
        { err, method: request.method, route: request.routeOptions.url ?? 'unknown' },
        known === undefined ? 'unexpected HTTP API error' : 'HTTP API: the database is unavailable',
      );
    const { status, message, oauth } = known ?? {
      status: 500,
      message: 'Internal server error.',
      oauth: OAuthErrorCode.ServerError,
    };
    reply.code(status);
    if (err instanceof ThrottledError) reply.header('retry-after', String(err.retryAfterSec));
    if (request.routeOptions.config.errorFormat !== 'oauth') return reply.send(envelope(message));
    if (err instanceof OAuthError && err.wwwAuthenticate !== undefined) {
      reply.header('www-authenticate', err.wwwAuthenticate);
    }
    return reply.send({ error: oauth, error_description: message });
  });
  // Only the path is echoed: a query string may carry a client secret.
  app.setNotFoundHandler((request, reply) => {
    // A client-side route of the web console answers its index.html.
    if (notFoundFallback?.(request, reply) === true) return reply;
    const path = request.url.split('?', 1)[0] ?? '/';
    return reply.code(404).send(envelope(`Unknown endpoint ${request.method} ${path}.`));
  });
}
