import { OAuthError, OAuthErrorCode } from './errors.js';

/** Parameters of `POST /oauth2/token` (spec §6.3), from the query string and/or the body. */
export type TokenParams = Partial<
  Record<'grant_type' | 'refresh_token' | 'client_id' | 'client_secret', string | undefined>
>;

export interface TokenRequest {
  readonly grantType: string;
  readonly refreshToken: string | undefined;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The client authenticated with `Authorization: Basic` (a failure then answers 401 + challenge). */
  readonly basic: boolean;
}

const PARAMS = ['grant_type', 'refresh_token', 'client_id', 'client_secret'] as const;
export const BASIC_CHALLENGE = 'Basic realm="devgate", charset="UTF-8"';

function invalidRequest(description: string): OAuthError {
  return new OAuthError(OAuthErrorCode.InvalidRequest, description);
}

/** RFC 6749 §2.3.1: id and secret are form-encoded before Base64; decoding keeps plain ids intact. */
function formDecode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
}

/** `Authorization: Basic base64(id:secret)`; undefined when the header uses another scheme. */
function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = header === undefined ? null : /^Basic[ ]+([A-Za-z0-9+/=]*)[ ]*$/i.exec(header);
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) {
    throw new OAuthError(OAuthErrorCode.InvalidClient, 'Malformed Basic credentials.', {
      status: 401,
      wwwAuthenticate: BASIC_CHALLENGE,
    });
  }
  return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
}

/** Query and body merged; an empty value counts as absent and a repeated one is refused (RFC 6749 §3.2). */
function mergeParams(query: TokenParams, body: TokenParams): TokenParams {
  const merged: TokenParams = {};
  for (const name of PARAMS) {
    const fromQuery = query[name] === '' ? undefined : query[name];
    const fromBody = body[name] === '' ? undefined : body[name];
    if (fromQuery !== undefined && fromBody !== undefined) {
      throw invalidRequest(`Parameter '${name}' is given more than once.`);
    }
    merged[name] = fromQuery ?? fromBody;
  }
  return merged;
}

function noClient(): OAuthError {
  return new OAuthError(OAuthErrorCode.InvalidClient, 'Client authentication is missing.');
}

/**
 * Reads a token request: grant parameters from the query or the body; client credentials from
 * HTTP Basic or from `client_id`/`client_secret`, but not both at once (RFC 6749 §2.3).
 */
export function readTokenRequest(
  query: TokenParams,
  body: TokenParams | undefined,
  authorization?: string,
): TokenRequest {
  const params = mergeParams(query, body ?? {});
  if (params.grant_type === undefined) throw invalidRequest("Missing 'grant_type' parameter.");
  const basic = basicCredentials(authorization);
  const common = { grantType: params.grant_type, refreshToken: params.refresh_token };
  if (basic !== undefined) {
    if (
      params.client_secret !== undefined ||
      (params.client_id !== undefined && params.client_id !== basic.id)
    ) {
      throw invalidRequest('Use only one client authentication method.');
    }
    return { ...common, clientId: basic.id, clientSecret: basic.secret, basic: true };
  }
  if (params.client_id === undefined || params.client_secret === undefined) throw noClient();
  return { ...common, clientId: params.client_id, clientSecret: params.client_secret, basic: false };
}
