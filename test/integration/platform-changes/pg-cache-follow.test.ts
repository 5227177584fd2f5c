import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { changeOf, followed } from '../../helpers/changes.js';
import { callerFor } from '../../helpers/platform.js';
import { postgresTestOptions, testDatabaseUrl } from '../../helpers/postgres.js';
import { type SharingProcess, twoProcesses } from '../../helpers/shared-database.js';

/** Root org, a template with one datastream, and a device in a sub-org, made through `a`. */
async function world({ platform }: SharingProcess) {
  const root = await platform.orgs.createRoot({ name: 'Root' });
  const caller = callerFor(root.id);
  const left = await platform.orgs.create(caller, { name: 'Left' });
  const right = await platform.orgs.create(caller, { name: 'Right' });
  const template = await platform.templates.create(caller, {
    name: 'Thing',
    datastreams: [{ name: 'Power', pin: 1, type: 'Integer', min: 0, max: 100, isSync: true, isRaw: true }],
  });
  const { device, token } = await platform.devices.create(caller, {
    templateId: template.id,
    name: 'd',
    orgId: left.id,
  });
  return { root, caller, left, right, template, device, token };
}

test(
  'several processes: a device token rotated on A is refused on B at once',
  postgresTestOptions(),
  async (t) => {
    const { a, b } = await twoProcesses(t);
    const w = await world(a);
    assert.equal((await b.platform.devices.authenticateToken(w.token))?.id, w.device.id, 'B cached it');
    const seen = followed(b.platform, changeOf('device', w.device.id));
    const rotated = await a.platform.devices.rotateToken(w.caller, w.device.id);
    await seen;
    assert.equal(b.platform.devices.peekToken(w.token), undefined);
    assert.equal(await b.platform.devices.authenticateToken(w.token), undefined);
    assert.equal((await b.platform.devices.authenticateToken(rotated))?.id, w.device.id);
  },
);

test(
  'several processes: a device deleted or moved out of an org on A is refused / out of scope on B',
  postgresTestOptions(),
  async (t) => {
    const { a, b } = await twoProcesses(t);
    const w = await world(a);
    const other = await a.platform.devices.create(w.caller, {
      templateId: w.template.id,
      name: 'e',
      orgId: w.left.id,
    });
    await b.platform.devices.authenticateToken(w.token);
    await b.platform.devices.authenticateToken(other.token);
    const changesBefore = b.platform.devices.changes();

    const moved = followed(b.platform, changeOf('device', w.device.id));
    await a.platform.devices.transfer(w.caller, w.device.id, w.right.id);
    await moved;
    assert.ok(b.platform.devices.changes() > changesBefore, 'gateways on B re-check what they noted');
    const seenByB = await b.platform.devices.authenticateToken(w.token);
    assert.equal(seenByB?.orgId, w.right.id);
    assert.equal(b.platform.orgs.isInScope(w.left.id, seenByB.orgId), false);

    const deleted = followed(b.platform, changeOf('device', other.device.id));
    await a.platform.devices.delete(w.caller, other.device.id);
    await deleted;
    assert.equal(b.platform.devices.peekById(other.device.id), undefined);
    assert.equal(await b.platform.devices.authenticateToken(other.token), undefined);
  },
);

test(
  'several processes: a datastream added to a template on A is known to B',
  postgresTestOptions(),
  async (t) => {
    const { a, b } = await twoProcesses(t);
    const loaded = followed(b.platform, changeOf('template'));
    const w = await world(a);
    await loaded;
    assert.equal(b.platform.templates.byId(w.template.id)?.datastreams.length, 1);
    const seen = followed(b.platform, changeOf('template', w.template.id));
    await a.platform.templates.update(w.caller, w.template.id, {
      datastreams: [
        ...w.template.datastreams,
        { name: 'Label', pin: 2, type: 'String', isSync: false, isRaw: false },
      ],
    });
    await seen;
    const known = b.platform.templates.byId(w.template.id);
    assert.deepEqual(
      known?.datastreams.map((d) => d.name),
      ['Power', 'Label'],
    );
    assert.equal(b.platform.templates.byTemplateId(w.template.templateId), known);

    const created = followed(b.platform, changeOf('template'));
    const second = await a.platform.templates.create(w.caller, { name: 'Second' });
    await created;
    assert.equal(b.platform.templates.byId(second.id)?.name, 'Second');
  },
);

test(
  'several processes: an OAuth client disabled on A refuses its bearer token on B at once (not after the bearer cache time)',
  postgresTestOptions(),
  async (t) => {
    const { a, b } = await twoProcesses(t);
    const w = await world(a);
    const { client } = await a.platform.oauth.createClient(w.caller, { name: 'api', orgId: w.left.id });
    const { access_token } = await a.platform.oauth.issueTokens(client);
    assert.equal(
      (await b.platform.oauth.authenticateBearer(access_token))?.orgId,
      w.left.id,
      'B remembered it',
    );
    const clientChanges = b.platform.oauth.clientChanges;

    const seen = followed(b.platform, changeOf('oauth-client', client.id));
    await a.platform.oauth.setClientActive(w.caller, client.id, false);
    await seen;
    assert.equal(await b.platform.oauth.authenticateBearer(access_token), undefined);
    assert.ok(b.platform.oauth.clientChanges > clientChanges, 'gateway logins on B read the client again');
  },
);

test(
  'several processes: deleting an org on A drops the bearer tokens of its clients on B',
  postgresTestOptions(),
  async (t) => {
    const { a, b } = await twoProcesses(t);
    const w = await world(a);
    const empty = await a.platform.orgs.create(w.caller, { name: 'Empty' });
    const { client } = await a.platform.oauth.createClient(w.caller, { name: 'api', orgId: empty.id });
    const { access_token } = await a.platform.oauth.issueTokens(client);
    assert.equal((await b.platform.oauth.authenticateBearer(access_token))?.orgId, empty.id);

    const clientGone = followed(b.platform, changeOf('oauth-client', client.id));
    await a.platform.orgs.delete(w.caller, empty.id);
    await clientGone;
    assert.equal(await b.platform.oauth.authenticateBearer(access_token), undefined);
    assert.deepEqual(b.platform.orgs.ancestry(empty.id), []);
  },
);

test(
  'several processes: an org created or moved on A changes the scope B checks',
  postgresTestOptions(),
  async (t) => {
    const { a, b } = await twoProcesses(t);
    const w = await world(a);
    const created = followed(b.platform, changeOf('org'));
    const leaf = await a.platform.orgs.create(w.caller, { name: 'Leaf', parentOrganizationId: w.left.id });
    await created;
    assert.equal(b.platform.orgs.isInScope(w.left.id, leaf.id), true);

    const moved = followed(b.platform, changeOf('org', leaf.id));
    await a.platform.orgs.update(w.caller, leaf.id, { parentOrganizationId: w.right.id });
    await moved;
    assert.equal(b.platform.orgs.isInScope(w.left.id, leaf.id), false);
    assert.equal(b.platform.orgs.isInScope(w.right.id, leaf.id), true);
    assert.deepEqual(b.platform.orgs.ancestry(leaf.id), [w.root.id, w.right.id, leaf.id]);
    // B's own writes are checked against the moved tree: Left no longer reaches Leaf.
    await assert.rejects(b.platform.orgs.get(callerFor(w.left.id), leaf.id), { name: 'NotFoundError' });
  },
);

test(
  "several processes: B's LISTEN connection killed → it reconnects and drops its caches; a change made while it was away is seen",
  postgresTestOptions(),
  async (t) => {
    const { url, a, b } = await twoProcesses(t);
    const w = await world(a);
    assert.equal(b.platform.devices.peekById(w.device.id), undefined);
    await b.platform.devices.authenticateToken(w.token);
    assert.equal(b.platform.devices.peekById(w.device.id)?.orgId, w.left.id, 'B cached it');

    // On the test database (made before it refuses connections), and on the cluster's own one.
    const inside = new pg.Client({ connectionString: url });
    const cluster = new pg.Client({ connectionString: testDatabaseUrl });
    await Promise.all([inside.connect(), cluster.connect()]);
    const database = new URL(url).pathname.slice(1);
    const allow = (on: boolean) => cluster.query(`ALTER DATABASE "${database}" WITH ALLOW_CONNECTIONS ${on}`);
    try {
      // B cannot come back until allowed: the change below is made while it is away, for certain.
      await allow(false);
      const pid = b.stores.changes.listenerPid;
      assert.ok(pid !== undefined);
      const resynced = followed(b.platform, changeOf('resync'));
      const { rows } = await inside.query<{ done: boolean }>(
        'SELECT pg_terminate_backend($1, 5000) AS done',
        [pid],
      );
      assert.equal(rows[0]?.done, true);
      await inside.query('UPDATE devices SET org_id = $1 WHERE id = $2', [w.right.id, w.device.id]);
      assert.equal(b.platform.devices.peekById(w.device.id)?.orgId, w.left.id, 'B missed it');
      // /readyz asks the pool, not the LISTEN connection: B stays ready meanwhile.
      await b.platform.ping();

      await allow(true);
      await resynced;
      assert.equal(b.stores.changes.connected, true);
      assert.equal(b.platform.devices.peekById(w.device.id), undefined, 'every cached device dropped');
      assert.equal((await b.platform.devices.authenticateToken(w.token))?.orgId, w.right.id);

      // Listening again: the next change reaches B as usual.
      const seen = followed(b.platform, changeOf('device', w.device.id));
      await a.platform.devices.rotateToken(w.caller, w.device.id);
      await seen;
      assert.equal(await b.platform.devices.authenticateToken(w.token), undefined);
    } finally {
      await allow(true);
      await Promise.all([inside.end(), cluster.end()]);
    }
  },
);

test(
  'a rolled-back transaction sends no change notification; payloads are kind:id only',
  postgresTestOptions(),
  async (t) => {
    const { url, a } = await twoProcesses(t);
    const w = await world(a);
    const listener = new pg.Client({ connectionString: url });
    const writer = new pg.Client({ connectionString: url });
    await Promise.all([listener.connect(), writer.connect()]);
    try {
      const payloads: string[] = [];
      let onPayload: (() => void) | undefined;
      listener.on('notification', (message) => {
        payloads.push(message.payload ?? '');
        onPayload?.();
      });
      await listener.query('LISTEN devgate_platform_changes');

      await writer.query('BEGIN');
      await writer.query('UPDATE organizations SET parent_id = $1 WHERE id = $2', [w.right.id, w.left.id]);
      await writer.query('DELETE FROM devices WHERE id = $1', [w.device.id]);
      await writer.query('ROLLBACK');
      const { client, secret } = await a.platform.oauth.createClient(w.caller, { name: 'api' });
      // Notifications arrive in commit order: once the last one is here, a rolled-back one would be too.
      const committed = new Promise<void>((resolve) => {
        onPayload = () => {
          if (payloads.includes(`oauth-client:${client.id}`)) resolve();
        };
      });
      await a.platform.devices.rotateToken(w.caller, w.device.id);
      await a.platform.oauth.setClientActive(w.caller, client.id, false);
      await committed;
      assert.deepEqual(payloads, [`device:${w.device.id}`, `oauth-client:${client.id}`]);
      for (const payload of payloads) {
        assert.match(payload, /^[a-z-]+:\d+$/);
        assert.ok(!payload.includes(secret));
      }
    } finally {
      await Promise.all([listener.end(), writer.end()]);
    }
  },
);
