import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { LiveStreams } from '../../src/http/live/live-streams.js';
import { type ConsoleWorld, openConsoleWorld } from '../helpers/console-users.js';
import { SseReader } from '../helpers/sse-reader.js';

/** A console world listening on loopback, its live streams pinged (and re-checked) every 50 ms. */
async function listening(t: TestContext): Promise<{ world: ConsoleWorld; base: string }> {
  const world = await openConsoleWorld(t, { liveStreams: new LiveStreams({ pingIntervalMs: 50 }) });
  await world.app.listen({ port: 0, host: '127.0.0.1' });
  return { world, base: `http://127.0.0.1:${(world.app.server.address() as AddressInfo).port}` };
}

async function openStream(t: TestContext, url: string, headers: Record<string, string>): Promise<SseReader> {
  const response = await fetch(url, { headers });
  assert.equal(response.status, 200);
  const reader = new SseReader(t, response);
  assert.equal((await reader.next()).event, 'snapshot');
  return reader;
}

test('decision 0025: a live stream ends once its console session is signed out (checked on the ping tick)', async (t) => {
  const { world, base } = await listening(t);
  const user = await world.addUser('viewer@example.com', 'viewer', world.orgs.root);
  const session = await world.signIn(user);
  const url = `${base}/api/v1/organization/device/live?deviceId=${world.aDevice.id}`;
  const reader = await openStream(t, url, session.readHeaders());
  const logout = await world.call({
    method: 'POST',
    url: '/api/v1/session/logout',
    headers: session.writeHeaders(),
  });
  assert.equal(logout.statusCode, 204);
  assert.deepEqual(await reader.rest(), [], 'the stream ends without a further message');
});

test('decision 0025: a live stream ends once its bearer token is revoked by disabling its OAuth client', async (t) => {
  const { world, base } = await listening(t);
  const client = await world.client(world.orgs.a);
  const url = `${base}/api/v1/organization/device/live?deviceId=${world.aDevice.id}`;
  const reader = await openStream(t, url, client.headers);
  const root = await world.client(world.orgs.root);
  const clients = await world.call({ method: 'GET', url: '/api/v1/organization/oauth/clients', as: root });
  const page = JSON.parse(clients.body) as { content: Array<{ id: number; clientId: string }> };
  const id = page.content.find((c) => c.clientId === client.clientId)?.id;
  assert.ok(id !== undefined, clients.body);
  const disabled = await world.call({
    method: 'POST',
    url: `/api/v1/organization/oauth/client/disable?id=${id}`,
    as: root,
  });
  assert.equal(disabled.statusCode, 200, disabled.body);
  assert.deepEqual(await reader.rest(), []);
});
