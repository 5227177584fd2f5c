import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { oauthClientCredential } from '../../auth/throttle/auth-throttle.js';
import { PlatformError } from '../../platform/errors.js';
import type { IssuedTokens, OAuthService } from '../../platform/services.js';
import { OAuthError, OAuthErrorCode } from '../errors.js';
import type { HttpThrottle } from '../throttle.js';
import { BASIC_CHALLENGE, readTokenRequest, type TokenParams, type TokenRequest } from '../token-request.js';

const tokenParamProperties = {
  grant_type: { type: 'string', maxLength: 64, description: 'client_credentials or refresh_token' },
  refresh_token: { type: 'string', maxLength: 512 },
  client_id: { type: 'string', maxLength: 256 },
  client_secret: { type: 'string', maxLength: 512 },
} as const;

// RFC 6749 §3.2: unrecognized parameters are ignored, so no additionalProperties: false here.
const tokenQuery = { type: 'object', properties: tokenParamProperties } as const;
/** The body is optional: everything may come in the query string (spec §6.3). */
const tokenBodySchema = { type: ['object', 'null'], properties: tokenParamProperties } as const;
const tokenBody = {
  content: {
    'application/x-www-form-urlencoded': { schema: tokenBodySchema },
    'application/json': { schema: tokenBodySchema },
  },
} as const;

const GRANT_TYPES: ReadonlySet<string> = new Set(['client_credentials', 'refresh_token']);

/** RFC 6749 §5.1: token answers (and errors) must not be cached. */
function noStore(reply: FastifyReply): void {
  reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
}

/** The calling client; a throttled caller is refused (429) before its secret is hashed. */
async function authenticate(oauth: OAuthService, request: TokenRequest, caller: Caller) {
  const credential = oauthClientCredential(request.clientId);
  caller.throttle.guard(caller.http, credential);
  const client = await oauth.verifyClient(request.clientId, request.clientSecret);
  if (client !== undefined) {
    caller.throttle.succeeded(caller.http);
    return client;
  }
  caller.throttle.failed(caller.http);
  // RFC 6749 §5.2: a header-authenticated client gets 401 and the scheme it used.
  throw new OAuthError(OAuthErrorCode.InvalidClient, 'Client ID is not found or password is wrong.', {
    ...(request.basic ? { status: 401, wwwAuthenticate: BASIC_CHALLENGE } : {}),
  });
}

/** The HTTP request a token request came in (its address) and the throttle to answer to. */
interface Caller {
  readonly http: FastifyRequest;
  readonly throttle: HttpThrottle;
}

async function grant(oauth: OAuthService, request: TokenRequest, caller: Caller): Promise<IssuedTokens> {
  const client = await authenticate(oauth, request, caller);
  if (!GRANT_TYPES.has(request.grantType)) {
    throw new OAuthError(OAuthErrorCode.UnsupportedGrantType, 'Grant type is not supported.');
  }
  if (!client.isActive) throw new OAuthError(OAuthErrorCode.UnauthorizedClient, 'Client is disabled.');
  try {
    if (request.grantType === 'client_credentials') return await oauth.issueTokens(client);
    if (request.refreshToken === undefined) {
      throw new OAuthError(OAuthErrorCode.InvalidRequest, "Missing 'refresh_token' parameter.");
    }
    return await oauth.refreshTokens(client, request.refreshToken);
  } catch (err) {
    if (!(err instanceof PlatformError) || err.status >= 500) throw err;
    // A client disabled meanwhile, or a refresh token that is unknown, expired or already used.
    if (err.status === 401 && request.grantType === 'client_credentials') {
      throw new OAuthError(OAuthErrorCode.UnauthorizedClient, 'Client is disabled.');
    }
    throw new OAuthError(OAuthErrorCode.InvalidGrant, 'Refresh token is invalid, expired or already used.');
  }
}

/**
 * `POST /oauth2/token` (spec §6.3): client_credentials and refresh_token grants; credentials by
 * HTTP Basic or `client_id`/`client_secret` in the query, a form body or a JSON body.
 */
export async function oauthTokenRoutes(
  app: FastifyInstance,
  oauth: OAuthService,
  throttle: HttpThrottle,
): Promise<void> {
  await app.register(formbody);
  app.post<{ Querystring: TokenParams; Body: TokenParams | null }>(
    '/oauth2/token',
    {
      config: { errorFormat: 'oauth' },
      onRequest: async (_request, reply) => noStore(reply),
      schema: {
        tags: ['oauth2'],
        summary: 'Issue or refresh an access token',
        security: [{ basicAuth: [] }, {}],
        querystring: tokenQuery,
        body: tokenBody,
        response: {
          200: { $ref: 'TokenResponse#' },
          // 429 (failed-login throttling) carries Retry-After.
          '4xx': { $ref: 'OAuthError#' },
          '5xx': { $ref: 'OAuthError#' },
        },
      },
    },
    async (request) => {
      const params = readTokenRequest(
        request.query,
        request.body ?? undefined,
        request.headers.authorization,
      );
      return grant(oauth, params, { http: request, throttle });
    },
  );
}
