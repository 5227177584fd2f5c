import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Platform } from '../../platform/platform.js';
import type { ActiveSession } from '../../platform/users/session-service.js';
import { CSRF_HEADER, CSRF_REFUSED, csrfMatches, SESSION_COOKIE } from '../auth.js';
import { envelope } from '../errors.js';
import { errorResponses, noContent } from '../schemas/common.js';
import { loginBody, ownPasswordBody } from '../schemas/user.js';
import { type HttpThrottle, ThrottledError } from '../throttle.js';

export const LOGIN_REFUSED = 'Invalid email or password.';
const NOT_SIGNED_IN = 'Not signed in.';
const base = '/api/v1/session';
const tags = ['session'];
const security = [{ sessionCookie: [] }];
const sessionAnswer = { 200: { $ref: 'Session#' }, ...errorResponses };

/** The answer of sign-in and `GET /session`. */
async function sessionView(platform: Platform, session: ActiveSession) {
  const { id, email, name } = session.user;
  const memberships = await platform.sessions.namedMemberships(session);
  return { user: { id, email, name }, memberships, csrfToken: session.csrfToken };
}

/** `HttpOnly` (no script reads it), `SameSite=Lax` (no cross-site writes carry it), `Secure` on HTTPS. */
function cookieOptions(request: FastifyRequest) {
  return { path: '/', httpOnly: true, sameSite: 'lax', secure: request.protocol === 'https' } as const;
}

function sessionIdOf(request: FastifyRequest): string | undefined {
  const id = request.cookies?.[SESSION_COOKIE];
  return id === undefined || id === '' ? undefined : id;
}

function loginRoute(app: FastifyInstance, platform: Platform, throttle: HttpThrottle): void {
  const schema = {
    tags,
    summary: 'Sign in with email and password',
    body: loginBody,
    response: sessionAnswer,
  };
  app.post<{ Body: { email: string; password: string } }>(
    `${base}/login`,
    { schema },
    async (request, reply) => {
      try {
        // Throttled per address and per email guessed at (decision 0009).
        throttle.guard(request, request.body.email.trim().toLowerCase());
      } catch (err) {
        if (!(err instanceof ThrottledError)) throw err;
        return reply.code(429).header('retry-after', String(err.retryAfterSec)).send(envelope(err.message));
      }
      const session = await platform.sessions.login(request.body.email, request.body.password);
      if (session === undefined) {
        throttle.failed(request);
        return reply.code(401).send(envelope(LOGIN_REFUSED));
      }
      throttle.succeeded(request);
      reply.setCookie(SESSION_COOKIE, session.sessionId, cookieOptions(request));
      return reply.header('cache-control', 'no-store').send(await sessionView(platform, session));
    },
  );
}

async function liveSession(request: FastifyRequest, reply: FastifyReply, platform: Platform) {
  const sessionId = sessionIdOf(request);
  const session = sessionId === undefined ? undefined : await platform.sessions.resume(sessionId);
  if (sessionId === undefined || session === undefined) {
    reply.code(401).send(envelope(NOT_SIGNED_IN));
    return undefined;
  }
  if (request.method !== 'GET' && !csrfMatches(request.headers[CSRF_HEADER], session.csrfToken)) {
    reply.code(403).send(envelope(CSRF_REFUSED));
    return undefined;
  }
  return { sessionId, session };
}

function sessionRoutes(app: FastifyInstance, platform: Platform): void {
  const current = {
    tags,
    security,
    summary: 'The signed-in user, memberships and CSRF token',
    response: sessionAnswer,
  };
  app.get(base, { schema: current }, async (request, reply) => {
    const live = await liveSession(request, reply, platform);
    if (live === undefined) return reply;
    return reply.header('cache-control', 'no-store').send(await sessionView(platform, live.session));
  });
  const logout = { tags, security, summary: 'Sign out', response: { 204: noContent, ...errorResponses } };
  app.post(`${base}/logout`, { schema: logout }, async (request, reply) => {
    // A session that is gone already is signed out: only a live one needs its CSRF token.
    const sessionId = sessionIdOf(request);
    const session = sessionId === undefined ? undefined : await platform.sessions.resume(sessionId);
    if (session !== undefined && !csrfMatches(request.headers[CSRF_HEADER], session.csrfToken))
      return reply.code(403).send(envelope(CSRF_REFUSED));
    if (sessionId !== undefined) await platform.sessions.logout(sessionId);
    return reply.clearCookie(SESSION_COOKIE, cookieOptions(request)).code(204).send();
  });
  const password = {
    tags,
    security,
    summary: 'Change your own password (other sessions end)',
    body: ownPasswordBody,
    response: { 204: noContent, ...errorResponses },
  };
  app.put<{ Body: { currentPassword: string; password: string } }>(
    `${base}/password`,
    { schema: password },
    async (request, reply) => {
      const live = await liveSession(request, reply, platform);
      if (live === undefined) return reply;
      await platform.sessions.changePassword(
        live.sessionId,
        request.body.currentPassword,
        request.body.password,
      );
      return reply.code(204).send();
    },
  );
}

/** The console's sign-in endpoints (decision 0024); the session cookie then works on the Platform API. */
export function sessionEndpoints(app: FastifyInstance, platform: Platform, throttle: HttpThrottle): void {
  loginRoute(app, platform, throttle);
  sessionRoutes(app, platform);
}
