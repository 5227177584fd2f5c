import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { oauthClientCredential } from '../../src/auth/throttle/auth-throttle.js';
import { type Authenticator, allowAll } from '../../src/broker/auth.js';
import { ReasonCode } from '../../src/mqtt/codec/reason-codes.js';
import { connackCode, connectClient, connectRefused, destroyClient } from '../helpers/mqtt-client.js';
import { startPlatformServer, tempDataDir } from '../helpers/platform-server.js';
import { restartServer, startServer } from '../helpers/start-server.js';

/**
 * Sessions per credential (decision 0009): `--max-sessions-per-credential`; connected sessions and
 * sessions kept for expiry both count; beyond the cap CONNECT gets 0x97 (3.1.1: the downgrade
 * table's 3, server unavailable).
 */

/** Every login accepted, its credential named after the username (the platform's logins do the same). */
const credentialLogins: Authenticator = {
  authenticate: (request) => ({
    ok: true,
    identity: {
      clientId: request.clientId,
      ...(request.username === undefined ? {} : { credential: `user:${request.username}` }),
    },
  }),
};
const deps = { authenticator: credentialLogins, authorizer: allowAll };

async function platformWith(t: TestContext, cap: number) {
  const running = await startPlatformServer(t, await tempDataDir(t, 'devgate-quota-'), [
    '--max-sessions-per-credential',
    String(cap),
  ]);
  const { clientId, clientSecret } = running.admin.credentials;
  const broker = running.server.broker;
  return {
    port: running.server.addresses.mqtt ?? 0,
    login: { username: clientId, password: clientSecret },
    count: () => broker.sessionsOf(oauthClientCredential(clientId)),
  };
}

for (const protocolVersion of [4, 5] as const) {
  const v5 = protocolVersion === 5;
  test(`sessions per credential v${protocolVersion}: one OAuth client past its cap is refused ${v5 ? '0x97' : 'with 3'}; a takeover does not count twice; an ended session frees its slot`, async (t) => {
    const s = await platformWith(t, 2);
    // Persistent sessions: v5 Session Expiry, 3.1.1 clean session 0.
    const keep = v5 ? { properties: { sessionExpiryInterval: 3600 } } : { clean: false };
    const opts = (clientId: string) => ({ ...s.login, ...keep, clientId, protocolVersion });
    const a = await connectClient(t, s.port, opts('quota-a'));
    await connectClient(t, s.port, opts('quota-b'));
    assert.equal(s.count(), 2);
    const refused = await connectRefused(t, s.port, opts('quota-c'));
    assert.equal(connackCode(refused!), v5 ? ReasonCode.QuotaExceeded : 3);
    // The same client id again takes the session over: still 2, accepted.
    await connectClient(t, s.port, opts('quota-a'));
    assert.equal(s.count(), 2);
    // A session kept for expiry still counts once its connection is gone.
    await destroyClient(a.client);
    assert.equal(s.count(), 2);
    assert.equal(connackCode((await connectRefused(t, s.port, opts('quota-c')))!), v5 ? 0x97 : 3);
    // A clean session ends with its connection and frees the slot: quota-b restarted clean, then gone.
    const clean = v5 ? { properties: { sessionExpiryInterval: 0 } } : { clean: true };
    const b = await connectClient(t, s.port, { ...opts('quota-b'), ...clean });
    await destroyClient(b.client);
    await waitFor(() => s.count() === 1);
    const c = await connectClient(t, s.port, opts('quota-c'));
    assert.equal(c.connack.returnCode ?? c.connack.reasonCode ?? 0, 0);
    assert.equal(s.count(), 2);
  });
}

test('sessions per credential: password-file and anonymous logins are not counted (fleets often share one username)', async (t) => {
  const srv = await startServer(t, {
    limits: { maxSessionsPerCredential: 1 },
    auth: { allowAnonymous: true },
  });
  for (let i = 0; i < 3; i++)
    await connectClient(t, srv.port, { username: 'shared', clientId: `shared-${i}`, protocolVersion: 5 });
  assert.equal(srv.server.broker.sessionCount, 3);
});

test('sessions per credential: an expired session frees its slot; 0 means no cap', async (t) => {
  const srv = await startServer(t, { limits: { maxSessionsPerCredential: 1 }, deps });
  const broker = srv.server.broker;
  const v5 = (clientId: string, expiry: number) => ({
    username: 'alice',
    clientId,
    protocolVersion: 5 as const,
    properties: { sessionExpiryInterval: expiry },
  });
  const first = await connectClient(t, srv.port, v5('exp-1', 1));
  assert.equal(broker.sessionsOf('user:alice'), 1);
  assert.equal(connackCode((await connectRefused(t, srv.port, v5('exp-2', 1)))!), ReasonCode.QuotaExceeded);
  await destroyClient(first.client);
  // Session Expiry 1 s: the slot is free once the session expired.
  await waitFor(() => broker.sessionsOf('user:alice') === 0, 5000);
  await connectClient(t, srv.port, v5('exp-2', 1));

  const open = await startServer(t, {
    limits: { maxSessionsPerCredential: 0 },
    auth: { allowAnonymous: true },
  });
  for (let i = 0; i < 5; i++) await connectClient(t, open.port, v5(`free-${i}`, 60));
});

test('sessions per credential: sessions restored after a restart still count', async (t) => {
  const srv = await startServer(t, { persistence: true, limits: { maxSessionsPerCredential: 2 }, deps });
  const opts = (clientId: string) => ({
    username: 'alice',
    clientId,
    protocolVersion: 5 as const,
    properties: { sessionExpiryInterval: 3600 },
  });
  for (const id of ['keep-1', 'keep-2'])
    await destroyClient((await connectClient(t, srv.port, opts(id))).client);
  const again = await restartServer(srv);
  assert.equal(again.server.broker.sessionsOf('user:alice'), 2);
  assert.equal(connackCode((await connectRefused(t, again.port, opts('keep-3')))!), ReasonCode.QuotaExceeded);
  // Resuming one of them is no new session; starting it clean replaces it, no new one either.
  const resumed = await connectClient(t, again.port, { ...opts('keep-1'), clean: false });
  assert.equal(resumed.connack.sessionPresent, true);
  await connectClient(t, again.port, opts('keep-2'));
  assert.equal(again.server.broker.sessionsOf('user:alice'), 2);
});

/** Polls server-side state the test cannot await as an event, bounded. */
async function waitFor(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the session count');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
