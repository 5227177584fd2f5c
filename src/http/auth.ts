import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ForbiddenError } from '../platform/errors.js';
import type { Platform } from '../platform/platform.js';
import type { Caller } from '../platform/services.js';
import { envelope } from './errors.js';
import { type HttpThrottle, ThrottledError } from './throttle.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the credential hook on every Platform API route. */
    caller: Caller | null;
  }
}

/** The console's session cookie (decision 0024): an opaque random id, only its hash is stored. */
export const SESSION_COOKIE = 'devgate_session';
export const CSRF_HEADER = 'x-csrf-token';
export const ORG_HEADER = 'x-devgate-org';
export const CSRF_REFUSED = 'CSRF token missing or invalid.';

const BEARER = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)[ ]*$/i;
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** The access token of an `Authorization: Bearer …` header (RFC 6750 §2.1), if well formed. */
export function bearerToken(header: string | undefined): string | undefined {
  return header === undefined ? undefined : BEARER.exec(header)?.[1];
}

function refuse(reply: FastifyReply, message: string, challenge: string): FastifyReply {
  return reply.code(401).header('www-authenticate', challenge).send(envelope(message));
}

/** Whether the header carries exactly `expected` (constant time in the token's content). */
export function csrfMatches(header: string | string[] | undefined, expected: string): boolean {
  if (typeof header !== 'string') return false;
  const given = Buffer.from(header);
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** `X-Devgate-Org`: undefined when absent, NaN when not an org id (refused as out of reach). */
function actingOrg(request: FastifyRequest): number | undefined {
  const header = request.headers[ORG_HEADER];
  if (header === undefined) return undefined;
  return typeof header === 'string' && /^[1-9][0-9]{0,15}$/.test(header) ? Number(header) : Number.NaN;
}

async function bearerCaller(
  request: FastifyRequest,
  reply: FastifyReply,
  platform: Platform,
  throttle: HttpThrottle,
): Promise<FastifyReply | undefined> {
  try {
    throttle.guard(request);
  } catch (err) {
    if (!(err instanceof ThrottledError)) throw err;
    return reply.code(429).header('retry-after', String(err.retryAfterSec)).send(envelope(err.message));
  }
  const token = bearerToken(request.headers.authorization);
  const caller = token === undefined ? undefined : await platform.oauth.authenticateBearer(token);
  if (caller === undefined) {
    throttle.failed(request);
    return refuse(reply, 'Invalid token.', 'Bearer realm="devgate", error="invalid_token"');
  }
  throttle.succeeded(request);
  request.caller = caller;
  return undefined;
}

/**
 * A console session's caller: the cookie's session must be live, a write must carry its CSRF
 * token, and `X-Devgate-Org` must be within the user's reach. Session ids are 256 random bits, so
 * a cookie is not a guessable credential and is not throttled.
 */
async function sessionCaller(
  request: FastifyRequest,
  reply: FastifyReply,
  platform: Platform,
  sessionId: string,
): Promise<FastifyReply | undefined> {
  const session = await platform.sessions.resume(sessionId);
  if (session === undefined) return refuse(reply, 'Session expired or invalid.', 'Cookie realm="devgate"');
  if (!SAFE_METHODS.has(request.method) && !csrfMatches(request.headers[CSRF_HEADER], session.csrfToken))
    return reply.code(403).send(envelope(CSRF_REFUSED));
  try {
    request.caller = platform.sessions.callerFor(session, actingOrg(request));
  } catch (err) {
    if (err instanceof ForbiddenError) return reply.code(403).send(envelope(err.message));
    throw err;
  }
  return undefined;
}

/**
 * Every route registered on `scope` requires a credential: a valid bearer token (RFC 6750 §3) or
 * the console's session cookie. Neither is `No token provided.`; an unknown, expired or revoked
 * token `Invalid token.`. A bearer header wins over a cookie.
 */
export function requireCaller(scope: FastifyInstance, platform: Platform, throttle: HttpThrottle): void {
  scope.decorateRequest('caller', null);
  scope.addHook('onRequest', async (request, reply) => {
    if (request.headers.authorization !== undefined) return bearerCaller(request, reply, platform, throttle);
    const sessionId = request.cookies?.[SESSION_COOKIE];
    if (sessionId !== undefined && sessionId !== '')
      return sessionCaller(request, reply, platform, sessionId);
    return refuse(reply, 'No token provided.', 'Bearer realm="devgate"');
  });
}

/**
 * Whether the credential a request behind {@link requireCaller} came with is still valid now (the
 * token not revoked or its client disabled, the session not ended), checked without counting as
 * use of the session: for answers that outlive their request, such as live streams. The same
 * credential as the hook's: a bearer header wins over the cookie.
 */
export function credentialCheck(request: FastifyRequest, platform: Platform): () => Promise<boolean> {
  if (request.headers.authorization !== undefined) {
    const token = bearerToken(request.headers.authorization);
    return async () => token !== undefined && (await platform.oauth.authenticateBearer(token)) !== undefined;
  }
  const sessionId = request.cookies?.[SESSION_COOKIE] ?? '';
  return async () => (await platform.sessions.resume(sessionId, { touch: false })) !== undefined;
}

/** The authenticated caller of a route behind {@link requireCaller}. */
export function callerOf(request: FastifyRequest): Caller {
  if (request.caller === null) throw new Error('route is not behind requireCaller');
  return request.caller;
}
