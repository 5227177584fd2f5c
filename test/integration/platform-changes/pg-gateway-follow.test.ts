import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import type { Platform } from '../../../src/platform/platform.js';
import { changeOf, followed } from '../../helpers/changes.js';
import { datastreamId, TargetKind } from '../../helpers/gateway-world.js';
import { callerFor } from '../../helpers/platform.js';
import { startPlatformServer, tempDataDir } from '../../helpers/platform-server.js';
import { freshDatabase, postgresTestOptions } from '../../helpers/postgres.js';
import { publishCode, subscribeCode } from '../gateway-api/gateway-mqtt.js';
import { startGatewayServer } from '../gateway-api/gateway-server.js';

/** Platform API write on `httpUrl` with `bearer` (the value becomes a `downlink/ds/NAME` there). */
async function writeValue(httpUrl: string, bearer: string, deviceId: number, dataStreamId: number) {
  const response = await fetch(`${httpUrl}/api/v1/organization/device/datastream`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ deviceId, dataStreamId, value: 7 }),
  });
  assert.equal(response.status, 204, await response.text());
}

async function bearerToken(httpUrl: string, clientId: string, secret: string): Promise<string> {
  const response = await fetch(`${httpUrl}/oauth2/token?grant_type=client_credentials`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** Makes `change` through A and resolves once B's caches have followed it. */
async function onAFollowedByB(
  b: Platform,
  kind: 'device' | 'org',
  id: number,
  change: () => Promise<unknown>,
) {
  const seen = followed(b, changeOf(kind, id));
  await change();
  await seen;
}

test(
  'spec §9 "Gateway scope", several processes: a device moved out of scope or deleted through A stops being reachable by a gateway connected to B',
  postgresTestOptions(),
  async (t) => {
    const url = await freshDatabase(t, async () => {
      await Promise.all(closers.map((close) => close()));
    });
    const closers: Array<() => Promise<unknown>> = [];
    const keyFile = join(await tempDataDir(t, 'devgate-key-'), 'secret.key');
    const shared = ['--database-url', url, '--secret-key-file', keyFile];
    const a = await startGatewayServer(t, shared);
    closers.push(() => a.running.close());
    const b = await startPlatformServer(t, await tempDataDir(t, 'devgate-b-'), shared);
    closers.push(() => b.close());
    const { world } = a;
    const root = callerFor(world.orgs.root);
    const child = world.targets[TargetKind.Child]!;
    const grandchild = world.targets[TargetKind.Descendant]!;
    const same = world.targets[TargetKind.Same]!;
    const power = datastreamId(world.template, 'Power');
    const { clientId, clientSecret } = b.admin.credentials;
    const bearerOnB = await bearerToken(b.httpUrl, clientId, clientSecret);

    // The gateway logs in to B, the process that did not build the world.
    const { client, inbox } = await a.gateway('oauth', 5, { port: b.server.addresses.mqtt! });
    assert.equal(await subscribeCode(client, `dev/${child.token}/downlink/#`), 1);
    assert.equal(await publishCode(client, `dev/${child.token}/ds/Power`, '1'), ReasonCode.Success);
    assert.equal(await publishCode(client, `dev/${grandchild.token}/ds/Power`, '1'), ReasonCode.Success);
    await writeValue(b.httpUrl, bearerOnB, child.device.id, power);
    const [delivered] = await inbox.take(1);
    assert.equal(delivered?.topic, `dev/${child.token}/downlink/ds/Power`);

    // A datastream added through A: B's Platform API accepts a value for it.
    const extended = followed(b.platform, changeOf('template', world.template.id));
    const updated = await a.running.platform.templates.update(root, world.template.id, {
      datastreams: [
        ...world.template.datastreams,
        { name: 'Extra', pin: 4, type: 'Integer', min: 0, max: 100, isSync: false, isRaw: true },
      ],
    });
    await extended;
    await writeValue(b.httpUrl, bearerOnB, same.device.id, datastreamId(updated, 'Extra'));

    // Moved out of the gateway's scope through A: B refuses it and stops delivering to it.
    const sibling = world.orgs.sibling;
    await onAFollowedByB(b.platform, 'device', child.device.id, () =>
      a.running.platform.devices.transfer(root, child.device.id, sibling),
    );
    assert.equal(await publishCode(client, `dev/${child.token}/ds/Power`, '2'), ReasonCode.NotAuthorized);
    await writeValue(b.httpUrl, bearerOnB, child.device.id, power);
    await inbox.expectNone(200);

    // An org moved through A takes its devices out of the gateway's scope on B.
    await onAFollowedByB(b.platform, 'org', world.orgs.child, () =>
      a.running.platform.orgs.update(root, world.orgs.child, { parentOrganizationId: sibling }),
    );
    assert.equal(
      await publishCode(client, `dev/${grandchild.token}/ds/Power`, '2'),
      ReasonCode.NotAuthorized,
    );

    // Deleted through A: refused on B.
    assert.equal(await publishCode(client, `dev/${same.token}/ds/Power`, '1'), ReasonCode.Success);
    await onAFollowedByB(b.platform, 'device', same.device.id, () =>
      a.running.platform.devices.delete(root, same.device.id),
    );
    assert.equal(await publishCode(client, `dev/${same.token}/ds/Power`, '2'), ReasonCode.NotAuthorized);
    await client.endAsync();
  },
);
