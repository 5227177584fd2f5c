import type { Device, OAuthClient, Organization, Page, Template, User } from '../platform/model.js';
import { ApiError, allPages, LIST_PAGE_SIZE, type ManagementApi } from './manage-api.js';

export interface HttpApiOptions {
  /** `http://127.0.0.1:8080` (no trailing slash) */
  readonly baseUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

type Query = Readonly<Record<string, string | number | boolean | undefined>>;

interface Call {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly query?: Query;
  readonly body?: unknown;
}

const ORG = '/api/v1/organization';

function urlOf(base: string, path: string, query: Query = {}): string {
  const url = new URL(path, `${base}/`);
  for (const [name, value] of Object.entries(query))
    if (value !== undefined) url.searchParams.set(name, String(value));
  return url.toString();
}

/** The server's own message: `{"error":{"message"}}` (Platform API) or RFC 6749 `{"error","error_description"}`. */
function errorMessage(status: number, body: unknown): string {
  const b = body as { error?: unknown; error_description?: unknown } | null;
  const error = b?.error as { message?: unknown } | string | undefined;
  if (typeof error === 'object' && typeof error?.message === 'string') return error.message;
  if (typeof b?.error_description === 'string') return b.error_description;
  if (typeof error === 'string') return error;
  return `HTTP ${status}`;
}

async function send(url: string, init: RequestInit): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new ApiError(
      `cannot reach ${new URL(url).origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
      0,
    );
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) throw new ApiError(errorMessage(response.status, body), response.status);
  return body;
}

/** RFC 6749 §2.3.1: id and secret are form-encoded, then Base64 in `Authorization: Basic`. */
function basicAuth(clientId: string, clientSecret: string): string {
  const pair = `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`;
  return `Basic ${Buffer.from(pair).toString('base64')}`;
}

/** client_credentials grant (spec §6.3). */
export async function fetchAccessToken(options: HttpApiOptions): Promise<string> {
  try {
    const body = (await send(urlOf(options.baseUrl, '/oauth2/token'), {
      method: 'POST',
      headers: {
        authorization: basicAuth(options.clientId, options.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    })) as { access_token?: unknown };
    if (typeof body?.access_token !== 'string')
      throw new ApiError('the token endpoint sent no access_token', 502);
    return body.access_token;
  } catch (err) {
    if (err instanceof ApiError && err.status !== 0) {
      throw new ApiError(`cannot get an access token: ${err.message}`, err.status);
    }
    throw err;
  }
}

/** Sends one authenticated Platform API call; `pages` walks a paged list. */
interface ApiCalls {
  call<T>(c: Call): Promise<T>;
  pages<T>(path: string, query?: Query): Promise<T[]>;
}

function devicesOver({ call, pages }: ApiCalls): ManagementApi['devices'] {
  const tokenOf = async (c: Call): Promise<string> => (await call<{ token: string }>(c)).token;
  return {
    list: (query = {}) => pages<Device>(`${ORG}/devices`, query),
    get: (deviceId) => call({ method: 'GET', path: `${ORG}/device/baseInfo`, query: { deviceId } }),
    create: async (input) => {
      const { token, ...device } = await call<Device & { token: string }>({
        method: 'POST',
        path: `${ORG}/device/create`,
        body: { templateId: input.templateId, name: input.name, orgId: input.orgId },
      });
      return { device, token };
    },
    update: (deviceId, body) => call({ method: 'PUT', path: `${ORG}/device`, query: { deviceId }, body }),
    token: (deviceId) => tokenOf({ method: 'GET', path: `${ORG}/device/token`, query: { deviceId } }),
    rotateToken: (deviceId) =>
      tokenOf({ method: 'POST', path: `${ORG}/device/token/rotate`, query: { deviceId } }),
    delete: (deviceId) => call({ method: 'DELETE', path: `${ORG}/device`, query: { deviceId } }),
  };
}

function oauthClientsOver({ call, pages }: ApiCalls): ManagementApi['oauthClients'] {
  return {
    list: () => pages<OAuthClient>(`${ORG}/oauth/clients`),
    create: async (body) => {
      const path = `${ORG}/oauth/clients/create`;
      const { secret, ...client } = await call<OAuthClient & { secret: string }>({
        method: 'POST',
        path,
        body,
      });
      return { client, secret };
    },
    setActive: (id, isActive) =>
      call({ method: 'POST', path: `${ORG}/oauth/client/${isActive ? 'enable' : 'disable'}`, query: { id } }),
    delete: (id) => call({ method: 'DELETE', path: `${ORG}/oauth/client`, query: { id } }),
  };
}

function usersOver({ call, pages }: ApiCalls): ManagementApi['users'] {
  return {
    list: () => pages<User>(`${ORG}/users`),
    create: (body) => call({ method: 'POST', path: `${ORG}/users/create`, body }),
    setRole: (userId, body) => call({ method: 'PUT', path: `${ORG}/user/role`, query: { userId }, body }),
    setPassword: (userId, password) =>
      call({ method: 'PUT', path: `${ORG}/user/password`, query: { userId }, body: { password } }),
    delete: (userId) => call({ method: 'DELETE', path: `${ORG}/user`, query: { userId } }),
  };
}

function orgsOver({ call, pages }: ApiCalls): ManagementApi['orgs'] {
  return {
    list: () => pages<Organization>(`${ORG}/list`),
    get: (orgId) => call({ method: 'GET', path: ORG, query: { orgId } }),
    create: (body) => call({ method: 'POST', path: `${ORG}/create`, body }),
    update: (orgId, body) => call({ method: 'PUT', path: ORG, query: { orgId }, body }),
    delete: (orgId) => call({ method: 'DELETE', path: ORG, query: { orgId } }),
  };
}

function templatesOver({ call, pages }: ApiCalls): ManagementApi['templates'] {
  const byId = (id: number | string): Query => ({ templateId: id });
  return {
    list: () => pages<Template>(`${ORG}/templates`),
    get: (id) => call({ method: 'GET', path: `${ORG}/template`, query: byId(id) }),
    create: (body) => call({ method: 'POST', path: `${ORG}/template/create`, body }),
    update: (id, body) => call({ method: 'PUT', path: `${ORG}/template`, query: byId(id), body }),
    delete: (id) => call({ method: 'DELETE', path: `${ORG}/template`, query: byId(id) }),
  };
}

/** The management API over a running server's HTTP API (Platform API paths, spec §6.4). */
export async function openHttpApi(options: HttpApiOptions): Promise<ManagementApi> {
  const token = await fetchAccessToken(options);
  const call = <T>(c: Call): Promise<T> =>
    send(urlOf(options.baseUrl, c.path, c.query), {
      method: c.method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(c.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(c.body === undefined ? {} : { body: JSON.stringify(c.body) }),
    }) as Promise<T>;
  const pages = <T>(path: string, query: Query = {}): Promise<T[]> =>
    allPages((page) =>
      call<Page<T>>({ method: 'GET', path, query: { ...query, page, size: LIST_PAGE_SIZE } }),
    );
  const calls: ApiCalls = { call, pages };
  const profile = await call<Organization>({ method: 'GET', path: `${ORG}/profile` });
  return {
    orgId: profile.id,
    target: options.baseUrl,
    orgs: orgsOver(calls),
    templates: templatesOver(calls),
    devices: devicesOver(calls),
    oauthClients: oauthClientsOver(calls),
    users: usersOver(calls),
    close: async () => undefined,
  };
}
