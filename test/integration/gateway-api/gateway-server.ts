import type { TestContext } from 'node:test';
import type { IClientOptions } from 'mqtt';
import type { RunningPlatform } from '../../../src/cli/start-command.js';
import { buildGatewayWorld, datastreamId, type GatewayWorld } from '../../helpers/gateway-world.js';
import { type Connected, connectClient } from '../../helpers/mqtt-client.js';
import { startPlatformServer, tempDataDir } from '../../helpers/platform-server.js';

export type Login = 'oauth' | 'mgmt';
export const LOGINS: readonly Login[] = ['oauth', 'mgmt'];
export const VERSIONS = [4, 5] as const;
export type Version = (typeof VERSIONS)[number];

/** `devgate start` in-process with the gateway world in its root org and a Platform API client. */
export interface GatewayServer {
  readonly running: RunningPlatform;
  readonly world: GatewayWorld;
  readonly mqttPort: number;
  readonly httpUrl: string;
  /** Connects a real `mqtt` client as the world's OAuth client or as `mgmt_device`. */
  gateway(login: Login, version: Version, options?: IClientOptions): Promise<Connected>;
  /** MQTT options for a login (to test refusals). */
  loginOptions(login: Login, version: Version): IClientOptions;
  /** Platform API call as the root admin client. */
  api(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
  /** Platform API: sets a datastream value (becomes `downlink/ds/NAME`). */
  write(deviceId: number, datastream: string, value: unknown): Promise<void>;
  /** Platform API: current values keyed by pin (`{"v1": 7}`). */
  values(deviceId: number): Promise<Record<string, unknown>>;
}

async function bearerToken(httpUrl: string, clientId: string, secret: string): Promise<string> {
  const response = await fetch(`${httpUrl}/oauth2/token?grant_type=client_credentials`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
  });
  if (response.status !== 200) throw new Error(`token request failed: ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

export async function startGatewayServer(
  t: TestContext,
  extraArgs: readonly string[] = [],
): Promise<GatewayServer> {
  const running = await startPlatformServer(t, await tempDataDir(t, 'devgate-gw-'), extraArgs);
  const world = await buildGatewayWorld(running.platform, running.admin.root.id);
  const { clientId, clientSecret } = running.admin.credentials;
  const bearer = await bearerToken(running.httpUrl, clientId, clientSecret);
  const mqttPort = running.server.addresses.mqtt!;
  const loginOptions = (login: Login, version: Version): IClientOptions => ({
    protocolVersion: version,
    username: login === 'oauth' ? world.oauth.client.clientId : 'mgmt_device',
    password: login === 'oauth' ? world.oauth.secret : world.gateway.token,
  });
  const api: GatewayServer['api'] = async (method, path, body) => {
    const response = await fetch(`${running.httpUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
  };
  return {
    running,
    world,
    mqttPort,
    httpUrl: running.httpUrl,
    loginOptions,
    gateway: (login, version, options = {}) =>
      connectClient(t, mqttPort, { ...loginOptions(login, version), ...options }),
    api,
    async write(deviceId, datastream, value) {
      const dataStreamId = datastreamId(world.template, datastream);
      const result = await api('POST', '/api/v1/organization/device/datastream', {
        deviceId,
        dataStreamId,
        value,
      });
      if (result.status !== 204)
        throw new Error(`write failed: ${result.status} ${JSON.stringify(result.json)}`);
    },
    async values(deviceId) {
      const result = await api('GET', `/api/v1/organization/device/datastreams?deviceId=${deviceId}`);
      if (result.status !== 200)
        throw new Error(`read failed: ${result.status} ${JSON.stringify(result.json)}`);
      return result.json as Record<string, unknown>;
    },
  };
}
