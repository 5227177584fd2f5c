// The one way the console talks to devgate: the Platform API with the session cookie, the CSRF
// token on every write and the organization chosen in the header's switcher (console contract).

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface ApiState {
  csrfToken: string;
  orgId: number | undefined;
  onUnauthorized: () => void;
}

const state: ApiState = { csrfToken: '', orgId: undefined, onUnauthorized: () => {} };

export function setCsrfToken(token: string): void {
  state.csrfToken = token;
}

export function setActingOrg(orgId: number | undefined): void {
  state.orgId = orgId;
}

export function actingOrg(): number | undefined {
  return state.orgId;
}

/** Called when a request answers 401 (the session ended or expired). */
export function onUnauthorized(handler: () => void): void {
  state.onUnauthorized = handler;
}

type Body = unknown;

function requestHeaders(method: string, body: Body, orgId: number | undefined): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = state.csrfToken;
  if (orgId !== undefined) headers['x-devgate-org'] = String(orgId);
  if (body instanceof Blob) headers['content-type'] = 'application/octet-stream';
  else if (body !== undefined) headers['content-type'] = 'application/json';
  return headers;
}

async function errorMessage(response: Response): Promise<string> {
  try {
    const json = (await response.json()) as { error?: { message?: string } };
    if (typeof json.error?.message === 'string') return json.error.message;
  } catch {
    // Not JSON (a proxy's page): the status line below says enough.
  }
  return `Request failed (${response.status} ${response.statusText}).`;
}

/** A Platform API call; resolves to the parsed JSON (undefined for 204), rejects with ApiError. */
export async function api<T>(
  method: string,
  path: string,
  body?: Body,
  orgId: number | undefined = state.orgId,
): Promise<T> {
  const headers = requestHeaders(method, body, orgId);
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (body instanceof Blob) init.body = body;
  else if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(path, init);
  if (!response.ok) {
    const message = await errorMessage(response);
    if (response.status === 401 && !path.startsWith('/api/v1/session')) state.onUnauthorized();
    throw new ApiError(response.status, message);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

export const get = <T>(path: string): Promise<T> => api<T>('GET', path);
export const post = <T>(path: string, body?: Body): Promise<T> => api<T>('POST', path, body);
export const put = <T>(path: string, body?: Body): Promise<T> => api<T>('PUT', path, body);
export const del = (path: string): Promise<void> => api<void>('DELETE', path);

/** A query string from the defined entries of `params`. */
export function qs(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
