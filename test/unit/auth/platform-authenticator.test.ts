import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import {
  createPlatformAuthenticator,
  createPlatformAuthorizer,
  type PlatformAdapters,
  type PlatformIdentityAttributes,
} from '../../../src/auth/platform-authenticator.js';
import type { AuthResult, ConnectRequest } from '../../../src/broker/auth.js';
import type { ClientAdapter } from '../../../src/broker/client-adapter.js';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { OrgType } from '../../../src/platform/model.js';
import type { Platform } from '../../../src/platform/platform.js';
import { callerFor, openTestPlatform } from '../../helpers/platform.js';

const datastreams = [{ name: 'Power', pin: 1, type: 'Integer' as const, isSync: true, isRaw: false }];

async function world(t: TestContext) {
  const platform = await openTestPlatform(t);
  const root = await platform.orgs.createRoot({ name: 'Root Org', type: OrgType.Root });
  const caller = callerFor(root.id);
  const gatewayTemplate = await platform.templates.create(caller, {
    name: 'Gateway',
    gatewayEnabled: true,
    datastreams,
  });
  const plainTemplate = await platform.templates.create(caller, {
    name: 'Plain',
    gatewayEnabled: false,
    datastreams,
  });
  const gateway = await platform.devices.create(caller, {
    templateId: gatewayTemplate.id,
    name: 'Gateway 1',
  });
  const plain = await platform.devices.create(caller, { templateId: plainTemplate.id, name: 'Plain 1' });
  const pending = await platform.devices.createProvisioningToken(caller, {
    templateId: gatewayTemplate.id,
    name: 'New',
  });
  const [unclaimed] = await platform.devices.generateStaticTokens(caller, {
    templateId: gatewayTemplate.id,
    count: 1,
  });
  const active = await platform.oauth.createClient(caller, { name: 'Active' });
  const inactive = await platform.oauth.createClient(caller, { name: 'Inactive' });
  await platform.oauth.setClientActive(caller, inactive.client.id, false);
  const auth = createPlatformAuthenticator(platform, silentLogger(), stubAdapters);
  return { platform, root, gateway, plain, pending, unclaimed: unclaimed!, active, inactive, auth };
}

/** Adapters that only say which API they mount (the tests here look at the login). */
const stubAdapter = (api: string): ClientAdapter => ({
  sessionKey: api,
  onPublish: () => ({ kind: 'handled', reasonCode: ReasonCode.Success }),
  onSubscribe: () => ReasonCode.NotAuthorized,
  toWireTopic: () => undefined,
});
const stubAdapters: PlatformAdapters = {
  device: () => stubAdapter('device'),
  gatewayDevice: () => stubAdapter('gateway-device'),
  oauthClient: () => stubAdapter('oauth-client'),
};

function request(
  username: string | undefined,
  password: string | undefined,
  clientId = 'client-1',
): ConnectRequest {
  return {
    clientId,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password: Buffer.from(password) }),
    protocolVersion: 5,
    connection: { transport: 'tcp' },
  };
}

function attributes(result: AuthResult): PlatformIdentityAttributes {
  assert.ok(result.ok, `refused: ${JSON.stringify(result)}`);
  return result.identity.attributes as PlatformIdentityAttributes;
}

function refusedWith(result: AuthResult, code: ReasonCode): void {
  assert.equal(result.ok, false);
  assert.equal(result.ok ? undefined : result.reasonCode, code);
}

describe('platform MQTT authentication (spec §2)', () => {
  test('spec §2.1 device + token: identity carries the device and its org; unknown token 0x86', async (t) => {
    const w = await world(t);
    const ok = await w.auth.authenticate(request('device', w.plain.token));
    assert.deepEqual(attributes(ok), { kind: 'device', deviceId: w.plain.device.id, orgId: w.root.id });
    assert.equal(ok.ok && ok.identity.clientId, 'client-1');
    // A dynamic-provisioning token may connect (activation happens on its first info/mcu).
    assert.equal(attributes(await w.auth.authenticate(request('device', w.pending.token))).kind, 'device');
    refusedWith(
      await w.auth.authenticate(request('device', 'x'.repeat(32))),
      ReasonCode.BadUserNameOrPassword,
    );
    refusedWith(await w.auth.authenticate(request('device', undefined)), ReasonCode.BadUserNameOrPassword);
    refusedWith(await w.auth.authenticate(request(undefined, undefined)), ReasonCode.BadUserNameOrPassword);
    const rotated = await w.platform.devices.rotateToken(callerFor(w.root.id), w.plain.device.id);
    refusedWith(
      await w.auth.authenticate(request('device', w.plain.token)),
      ReasonCode.BadUserNameOrPassword,
    );
    assert.equal(
      attributes(await w.auth.authenticate(request('device', rotated))).deviceId,
      w.plain.device.id,
    );
  });

  test('spec §2.3 mgmt_device: gateway-enabled template only, not PENDING/UNCLAIMED (0x87)', async (t) => {
    const w = await world(t);
    const ok = await w.auth.authenticate(request('mgmt_device', w.gateway.token));
    assert.deepEqual(attributes(ok), {
      kind: 'gateway-device',
      deviceId: w.gateway.device.id,
      orgId: w.root.id,
    });
    refusedWith(await w.auth.authenticate(request('mgmt_device', w.plain.token)), ReasonCode.NotAuthorized);
    refusedWith(await w.auth.authenticate(request('mgmt_device', w.pending.token)), ReasonCode.NotAuthorized);
    refusedWith(
      await w.auth.authenticate(request('mgmt_device', w.unclaimed.deviceToken)),
      ReasonCode.NotAuthorized,
    );
    refusedWith(
      await w.auth.authenticate(request('mgmt_device', 'y'.repeat(32))),
      ReasonCode.BadUserNameOrPassword,
    );
  });

  test('spec §2.2 OAuth client id + secret: wrong secret 0x86, inactive client 0x87', async (t) => {
    const w = await world(t);
    const ok = await w.auth.authenticate(request(w.active.client.clientId, w.active.secret));
    assert.deepEqual(attributes(ok), {
      kind: 'oauth-client',
      orgId: w.root.id,
      clientId: w.active.client.clientId,
    });
    refusedWith(
      await w.auth.authenticate(request(w.active.client.clientId, 'wrong')),
      ReasonCode.BadUserNameOrPassword,
    );
    refusedWith(
      await w.auth.authenticate(request('oa2-client-id_unknown', 'x')),
      ReasonCode.BadUserNameOrPassword,
    );
    refusedWith(
      await w.auth.authenticate(request(w.inactive.client.clientId, w.inactive.secret)),
      ReasonCode.NotAuthorized,
    );
  });

  test('spec §2.4 client id longer than 64 characters: 0x85', async (t) => {
    const w = await world(t);
    refusedWith(
      await w.auth.authenticate(request('device', w.plain.token, 'c'.repeat(65))),
      ReasonCode.ClientIdentifierNotValid,
    );
    assert.ok((await w.auth.authenticate(request('device', w.plain.token, 'c'.repeat(64)))).ok);
  });

  test('a failing platform answers 0x88 Server unavailable', async () => {
    const broken = {
      devices: { authenticateToken: async () => Promise.reject(new Error('disk on fire')) },
    } as unknown as Platform;
    const auth = createPlatformAuthenticator(broken, silentLogger(), stubAdapters);
    refusedWith(await auth.authenticate(request('device', 'x')), ReasonCode.ServerUnavailable);
  });

  test('every accepted login carries the adapter of its API', async (t) => {
    const w = await world(t);
    const adapterOf = (result: AuthResult) => (result.ok ? result.adapter?.sessionKey : undefined);
    assert.equal(adapterOf(await w.auth.authenticate(request('device', w.plain.token))), 'device');
    assert.equal(
      adapterOf(await w.auth.authenticate(request('mgmt_device', w.gateway.token))),
      'gateway-device',
    );
    assert.equal(
      adapterOf(await w.auth.authenticate(request(w.active.client.clientId, w.active.secret))),
      'oauth-client',
    );
  });

  test('fail closed: the platform authorizer refuses every publish and subscribe (adapters decide)', () => {
    const authorizer = createPlatformAuthorizer();
    const identities = [
      { clientId: 'c', attributes: { kind: 'device', orgId: 1, deviceId: 2 } },
      { clientId: 'g', attributes: { kind: 'gateway-device', orgId: 1, deviceId: 3 } },
      { clientId: 'o', attributes: { kind: 'oauth-client', orgId: 1, clientId: 'x' } },
      { clientId: 'anonymous' },
    ];
    for (const identity of identities) {
      for (const topic of ['ds/Power', 'downlink/ds/Power', 'dev/abc/ds/Power', '$dev/2/downlink/x', 'x']) {
        assert.equal(authorizer.canPublish(identity, topic), false, `${identity.clientId} ${topic}`);
      }
      for (const filter of ['#', 'downlink/#', 'dev/abc/downlink/#', '$dev/2/downlink/#']) {
        assert.equal(authorizer.canSubscribe(identity, filter), ReasonCode.NotAuthorized);
      }
    }
    // Deliveries to adapter sessions are the adapters' to filter (toWireTopic): no per-delivery veto.
    assert.equal(authorizer.canReceive, undefined);
  });
});
