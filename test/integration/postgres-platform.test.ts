import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { ensureDemo } from '../../src/cli/demo.js';
import { ExitCode } from '../../src/cli/io.js';
import { runMigrateTo } from '../../src/cli/migrate-command.js';
import { StoreKeyMismatchError } from '../../src/store/errors.js';
import { captureIo } from '../helpers/cli-io.js';
import { connackCode, connectClient, connectRefused } from '../helpers/mqtt-client.js';
import { startPlatformServer, tempDataDir } from '../helpers/platform-server.js';
import { freshDatabase, postgresTestOptions, queryAt } from '../helpers/postgres.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

const options = postgresTestOptions();
const system = (orgId: number) => ({ orgId, actor: 'system' });

test(
  'devgate start --database-url: a restart on a new data dir with the same database and secret key keeps every device, token and value (decision 0023)',
  options,
  async (t) => {
    const keyDir = await tempDataDir(t, 'devgate-key-');
    const keyArgs = ['--secret-key-file', join(keyDir, 'secret.key')];
    const url = await freshDatabase(t);
    const first = await startPlatformServer(t, await tempDataDir(t), ['--database-url', url, ...keyArgs]);
    const demo = await ensureDemo(first.platform, system(first.admin.root.id));
    const [device] = demo.devices;
    assert.ok(device !== undefined);
    const temperature = demo.datastreams.find((d) => d.name === 'Temperature');
    assert.ok(temperature !== undefined);
    const one = await connectClient(t, first.server.addresses.mqtt as number, {
      username: 'device',
      password: device.token,
      protocolVersion: 4,
    });
    await one.client.publishAsync('ds/Temperature', '23.5', { qos: 1 });
    await one.client.endAsync();
    await first.close();
    const rows = await queryAt<{ n: string }>(url, 'SELECT count(*) AS n FROM history WHERE device_id = $1', [
      device.id,
    ]);
    assert.equal(rows[0]?.n, '1', 'the value is in PostgreSQL');

    const secondDir = await tempDataDir(t);
    const second = await startPlatformServer(t, secondDir, ['--database-url', url, ...keyArgs]);
    const again = await connectClient(t, second.server.addresses.mqtt as number, {
      username: 'device',
      password: device.token,
      protocolVersion: 5,
    });
    assert.equal(again.connack.reasonCode, 0, 'the token logs in on the new process');
    await again.client.endAsync();
    const values = await second.platform.devices.currentValues(device.id);
    assert.equal(values.find((v) => v.dataStreamId === temperature.id)?.value, 23.5);
    const root = second.admin.root.id;
    assert.equal(await second.platform.devices.revealToken(system(root), device.id), device.token);
    const kept = (await readdir(secondDir)).filter(
      (name) =>
        !/^(listeners\.json|admin-credentials\.json|demo\.json|tls|\.devgate\.lock|devgate\.lock)$/.test(
          name,
        ),
    );
    assert.deepEqual(kept, [], 'the data dir holds no records');
  },
);

test(
  'devgate start --database-url: a process with another secret key is refused before it seals anything (decision 0023)',
  options,
  async (t) => {
    const url = await freshDatabase(t);
    const first = await startPlatformServer(t, await tempDataDir(t), ['--database-url', url]);
    await first.close();
    await assert.rejects(
      startPlatformServer(t, await tempDataDir(t), ['--database-url', url]),
      (err: unknown) => err instanceof StoreKeyMismatchError && /--secret-key-file/.test(err.message),
    );
  },
);

test(
  'PostgreSQL away under load: QoS 1 PUBACK waits, a new CONNECT gets 0x88 Server unavailable, /readyz fails; all recover without a restart and nothing PUBACKed is lost',
  options,
  async (t) => {
    const url = new URL(await freshDatabase(t));
    const proxy = await startTcpProxy(t, { host: url.hostname, port: Number(url.port) });
    const viaProxy = new URL(url);
    viaProxy.port = String(proxy.port);
    const running = await startPlatformServer(t, await tempDataDir(t), [
      '--database-url',
      viaProxy.toString(),
    ]);
    const demo = await ensureDemo(running.platform, system(running.admin.root.id));
    const [known, unknownYet] = demo.devices;
    assert.ok(known !== undefined && unknownYet !== undefined);
    const port = running.server.addresses.mqtt as number;
    const device = await connectClient(t, port, {
      username: 'device',
      password: known.token,
      protocolVersion: 4,
    });
    await device.client.publishAsync('ds/Temperature', '1', { qos: 1 });

    proxy.down();
    let acked = false;
    const pending = device.client.publishAsync('ds/Temperature', '2', { qos: 1 }).then(() => {
      acked = true;
    });
    const ready = await fetch(`${running.httpUrl}/readyz`);
    assert.equal(ready.status, 503, '/readyz fails while PostgreSQL is away');
    // A token the login cache does not hold must be looked up: the lookup fails, the login is refused.
    const uncached = `${unknownYet.token.slice(0, -1)}${unknownYet.token.endsWith('x') ? 'y' : 'x'}`;
    const refused = await connectRefused(t, port, {
      username: 'device',
      password: uncached,
      protocolVersion: 5,
    });
    assert.equal(
      refused === undefined ? undefined : connackCode(refused),
      0x88,
      'CONNECT: Server unavailable',
    );
    const api = await fetch(`${running.httpUrl}/external/api/get?token=${uncached}&V1`);
    assert.equal(api.status, 503, 'HTTP: the database is unavailable, try again');
    assert.match(
      ((await api.json()) as { error: { message: string } }).error.message,
      /temporarily unavailable/,
    );
    assert.equal(acked, false, 'the PUBACK waits for the commit');

    proxy.up();
    await pending;
    for (let tries = 0; (await fetch(`${running.httpUrl}/readyz`)).status !== 200; tries++) {
      assert.ok(tries < 100, '/readyz recovers');
      await delay(100); // the pool reconnects on its next query: nothing to wait on but the answer
    }
    const temperature = demo.datastreams.find((d) => d.name === 'Temperature');
    const values = await running.platform.devices.currentValues(known.id);
    assert.equal(
      values.find((v) => v.dataStreamId === temperature?.id)?.value,
      2,
      'the PUBACKed value is stored',
    );
    const back = await connectClient(t, port, {
      username: 'device',
      password: unknownYet.token,
      protocolVersion: 5,
    });
    assert.equal(back.connack.reasonCode, 0);
  },
);

test(
  'SQLite install -> devgate migrate-to -> devgate start on PostgreSQL: the device logs in with its token and its last value is there (decision 0023)',
  options,
  async (t) => {
    const dataDir = await tempDataDir(t);
    const sqlite = await startPlatformServer(t, dataDir);
    const demo = await ensureDemo(sqlite.platform, system(sqlite.admin.root.id));
    const [device] = demo.devices;
    assert.ok(device !== undefined);
    const one = await connectClient(t, sqlite.server.addresses.mqtt as number, {
      username: 'device',
      password: device.token,
      protocolVersion: 4,
    });
    await one.client.publishAsync('ds/Temperature', '19.25', { qos: 1 });
    await one.client.endAsync();
    await sqlite.close();

    const url = await freshDatabase(t);
    const io = captureIo(dataDir);
    assert.equal(
      await runMigrateTo(['--database-url', url, '--data-dir', dataDir], io),
      ExitCode.Ok,
      io.out.stderr,
    );
    const moved = await startPlatformServer(t, dataDir, ['--database-url', url]);
    const again = await connectClient(t, moved.server.addresses.mqtt as number, {
      username: 'device',
      password: device.token,
      protocolVersion: 5,
    });
    assert.equal(again.connack.reasonCode, 0);
    const temperature = demo.datastreams.find((d) => d.name === 'Temperature');
    const values = await moved.platform.devices.currentValues(device.id);
    assert.equal(values.find((v) => v.dataStreamId === temperature?.id)?.value, 19.25);
  },
);
