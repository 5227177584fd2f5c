import assert from 'node:assert/strict';
import type { AdminCredentials } from '../../src/platform/bootstrap.js';

/**
 * The Platform HTTP API of one cluster node, called with the admin OAuth client's bearer token
 * (spec §6.3). Tokens live in the shared database, so one token works on every node: `at(url)`
 * sends the same token elsewhere.
 */

export interface ApiAnswer {
  readonly status: number;
  readonly json: unknown;
}

export interface ApiDatastream {
  readonly id: number;
  readonly name: string;
  readonly pin: number;
  readonly type: string;
}

export interface ApiTemplate {
  readonly id: number;
  readonly templateId: string;
  readonly datastreams: readonly ApiDatastream[];
}

export interface ApiDevice {
  readonly id: number;
  readonly name: string;
  readonly orgId: number;
  readonly token: string;
}

/** The datastreams every cluster template has (Power is a sync datastream, written by devices and apps). */
export const CLUSTER_DATASTREAMS = [
  { name: 'Power', pin: 1, type: 'Integer', min: 0, max: 1000, isSync: true, isRaw: true },
  { name: 'Label', pin: 2, type: 'String', isSync: true, isRaw: true },
] as const;

export class ClusterApi {
  constructor(
    readonly baseUrl: string,
    private readonly bearer: string,
  ) {}

  /** Client credentials grant against `baseUrl` (spec §6.3). */
  static async login(baseUrl: string, credentials: AdminCredentials): Promise<ClusterApi> {
    const basic = Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString('base64');
    const response = await fetch(`${baseUrl}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const body = (await response.json()) as { access_token?: string };
    assert.equal(response.status, 200, `token: ${JSON.stringify(body)}`);
    return new ClusterApi(baseUrl, body.access_token!);
  }

  /** The same bearer token against another node (or the balancer). */
  at(baseUrl: string): ClusterApi {
    return new ClusterApi(baseUrl, this.bearer);
  }

  /** A GET whose body is read as it comes (a Server-Sent Events stream): the response, body unread. */
  open(path: string): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, { headers: { authorization: `Bearer ${this.bearer}` } });
  }

  async call(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.bearer}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
  }

  /** Uploads `bytes` (application/octet-stream) to `path`, which must answer 201; the JSON answer. */
  async upload<T>(path: string, bytes: Buffer): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.bearer}`, 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    const text = await response.text();
    assert.equal(response.status, 201, `POST ${path} on ${this.baseUrl}: ${text}`);
    return JSON.parse(text) as T;
  }

  /** `call` that must answer `status`; the JSON answer. */
  async expect<T>(status: number, method: string, path: string, body?: unknown): Promise<T> {
    const answer = await this.call(method, path, body);
    assert.equal(
      answer.status,
      status,
      `${method} ${path} on ${this.baseUrl}: ${JSON.stringify(answer.json)}`,
    );
    return answer.json as T;
  }

  /** A template with CLUSTER_DATASTREAMS; `gatewayEnabled` lets `mgmt_device` logins of its devices act as gateways. */
  createTemplate(name: string, gatewayEnabled = false): Promise<ApiTemplate> {
    return this.expect(201, 'POST', '/api/v1/organization/template/create', {
      name,
      gatewayEnabled,
      datastreams: CLUSTER_DATASTREAMS,
    });
  }

  /** A device in `orgId` (default: the caller's organization). */
  createDevice(templateId: number, name: string, orgId?: number): Promise<ApiDevice> {
    return this.expect(201, 'POST', '/api/v1/organization/device/create', {
      templateId,
      name,
      ...(orgId === undefined ? {} : { orgId }),
    });
  }

  /** A sub-organization of `parentOrganizationId` (default: the caller's organization); its id. */
  async createOrganization(name: string, parentOrganizationId?: number): Promise<number> {
    const org = await this.expect<{ id: number }>(201, 'POST', '/api/v1/organization/create', {
      name,
      ...(parentOrganizationId === undefined ? {} : { parentOrganizationId }),
    });
    return org.id;
  }

  /** An OAuth client created in `orgId` (its gateway logins reach that org's subtree, spec §2.2). */
  async createOAuthClient(name: string, orgId: number): Promise<{ clientId: string; secret: string }> {
    const created = await this.expect<{ clientId: string; secret: string }>(
      201,
      'POST',
      '/api/v1/organization/oauth/clients/create',
      { name, orgId },
    );
    return { clientId: created.clientId, secret: created.secret };
  }

  /** Moves a device to another organization (spec §6.4 device transfer). */
  async transferDevice(deviceId: number, newOrgId: number): Promise<ApiDevice> {
    return this.expect(200, 'POST', '/api/v1/organization/device/transfer', { deviceId, newOrgId });
  }

  /** Stores a value and sends it to the device as `downlink/ds/NAME` (spec §6.4 datastream write). */
  async writeValue(deviceId: number, dataStreamId: number, value: unknown): Promise<void> {
    await this.expect(204, 'POST', '/api/v1/organization/device/datastream', {
      deviceId,
      dataStreamId,
      value,
    });
  }

  /** Current values by pin (`{"v1": 5}`). */
  values(deviceId: number): Promise<Record<string, unknown>> {
    return this.expect(200, 'GET', `/api/v1/organization/device/datastreams?deviceId=${deviceId}`);
  }

  /** The device as the API shows it (`ip`, `connectTime`, …). */
  device(deviceId: number): Promise<Record<string, unknown>> {
    return this.expect(200, 'GET', `/api/v1/organization/device/baseInfo?deviceId=${deviceId}`);
  }

  /** A new token; the old one stops at once. */
  async rotateToken(deviceId: number): Promise<string> {
    const answer = await this.expect<{ token: string }>(
      200,
      'POST',
      `/api/v1/organization/device/token/rotate?deviceId=${deviceId}`,
    );
    return answer.token;
  }
}
