import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Caller, OAuthService } from '../platform/services.js';
import { envelope } from './errors.js';
import { type HttpThrottle, ThrottledError } from './throttle.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the bearer hook on every `/api/v1` and `/api/v2` route. */
    caller: Caller | null;
  }
}

const BEARER = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)[ ]*$/i;

/** The access token of an `Authorization: Bearer …` header (RFC 6750 §2.1), if well formed. */
export function bearerToken(header: string | undefined): string | undefined {
  return header === undefined ? undefined : BEARER.exec(header)?.[1];
}

function refuse(reply: FastifyReply, message: string, challenge: string): FastifyReply {
  return reply.code(401).header('www-authenticate', challenge).send(envelope(message));
}

/**
 * Every route registered on `scope` requires a valid bearer token (RFC 6750 §3): a missing one is
 * `No token provided.`, an unknown, expired or revoked one `Invalid token.`.
 */
export function requireBearer(scope: FastifyInstance, oauth: OAuthService, throttle: HttpThrottle): void {
  scope.decorateRequest('caller', null);
  scope.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization;
    if (header === undefined) return refuse(reply, 'No token provided.', 'Bearer realm="devgate"');
    try {
      throttle.guard(request);
    } catch (err) {
      if (!(err instanceof ThrottledError)) throw err;
      return reply.code(429).header('retry-after', String(err.retryAfterSec)).send(envelope(err.message));
    }
    const token = bearerToken(header);
    const caller = token === undefined ? undefined : await oauth.authenticateBearer(token);
    if (caller === undefined) {
      throttle.failed(request);
      return refuse(reply, 'Invalid token.', 'Bearer realm="devgate", error="invalid_token"');
    }
    throttle.succeeded(request);
    request.caller = caller;
    return undefined;
  });
}

/** The authenticated caller of a bearer-protected route. */
export function callerOf(request: FastifyRequest): Caller {
  if (request.caller === null) throw new Error('route is not behind requireBearer');
  return request.caller;
}
