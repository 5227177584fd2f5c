import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ArchiveRecord } from '../../src/backup/archive-format.js';
import { writeArchive } from '../../src/backup/export-archive.js';
import { importArchive } from '../../src/backup/import-archive.js';
import { openSqliteArchiveSink } from '../../src/backup/sqlite-archive-sink.js';
import { openSqliteArchiveSource } from '../../src/backup/sqlite-archive-source.js';
import { SECRET_KEY_FILE } from '../../src/platform/admin-bootstrap.js';
import { adminApi, normalisedLines, populate, readArchive } from '../helpers/backup-world.js';
import { datastreamId } from '../helpers/gateway-world.js';
import { connectClient } from '../helpers/mqtt-client.js';
import { callerFor } from '../helpers/platform.js';
import { startPlatformServer, tempDataDir } from '../helpers/platform-server.js';
import { cliExit, spawnCli } from '../helpers/spawn-cli.js';

/** Fields of each kind that name another record, and the kind they name. */
const REFERENCES: Readonly<Record<string, ReadonlyArray<readonly [string, string]>>> = {
  organization: [['parentId', 'organization']],
  oauthClient: [['orgId', 'organization']],
  template: [['orgId', 'organization']],
  datastream: [['templateId', 'template']],
  metaField: [['templateId', 'template']],
  device: [
    ['templateId', 'template'],
    ['orgId', 'organization'],
  ],
  staticToken: [
    ['deviceId', 'device'],
    ['productId', 'template'],
  ],
  currentValue: [['deviceId', 'device']],
  history: [['deviceId', 'device']],
  metaValue: [['deviceId', 'device']],
  deviceEvent: [['deviceId', 'device']],
  firmware: [['orgId', 'organization']],
};

/** Every reference in the archive resolves to a record of the archive. */
function assertReferencesResolve(records: readonly ArchiveRecord[]): void {
  const ids = new Map<string, Set<unknown>>();
  for (const r of records)
    if ('id' in r.data) (ids.get(r.kind) ?? ids.set(r.kind, new Set()).get(r.kind)!).add(r.data.id);
  for (const r of records)
    for (const [field, kind] of REFERENCES[r.kind] ?? []) {
      const value = r.data[field];
      if (value !== null)
        assert.ok(ids.get(kind)?.has(value), `${r.kind}.${field} = ${String(value)} has no ${kind}`);
    }
}

test('backup: export while the server runs under write load gives a consistent archive; import into a running server is refused', async (t) => {
  const dataDir = await tempDataDir(t, 'devgate-backup-live-');
  const server = await startPlatformServer(t, dataDir, ['--persistence']);
  const { world, token } = await populate(t, server);
  const key = Buffer.from((await readFile(join(dataDir, SECRET_KEY_FILE), 'utf8')).trim(), 'base64');
  const device = await connectClient(t, server.server.addresses.mqtt!, {
    username: 'device',
    password: token,
  });
  const call = await adminApi(server);
  const root = callerFor(server.admin.root.id);
  let running = true;
  let uplinks = 0;
  let churned = 0;
  const uplinkLoop = (async () => {
    while (running) await device.client.publishAsync('ds/Temperature', String(uplinks++), { qos: 1 });
  })();
  // Devices come with values and go again (their rows cascade) all through the exports.
  const churnLoop = (async () => {
    while (running) {
      const made = await server.platform.devices.create(root, {
        templateId: world.template.id,
        name: `churn ${churned}`,
      });
      const body = {
        deviceId: made.device.id,
        dataStreamId: datastreamId(world.template, 'Power'),
        value: 7,
      };
      assert.equal((await call('POST', '/api/v1/organization/device/datastream', body)).status, 204);
      if (churned++ % 2 === 0) await server.platform.devices.delete(root, made.device.id);
    }
  })();

  const work = await tempDataDir(t, 'devgate-backup-live-out-');
  // History to read while the writes go on.
  while (uplinks < 300) await new Promise((resolve) => setImmediate(resolve));
  let writesDuringExports = 0;
  for (const n of [1, 2, 3]) {
    const out = join(work, `live-${n}.gz`);
    const writesBefore = uplinks + churned;
    const source = openSqliteArchiveSource(dataDir, { history: true });
    try {
      await writeArchive(source, {
        out,
        history: true,
        tokenKey: key,
        includeKey: false,
        devgateVersion: 't',
      });
    } finally {
      await source.close();
    }
    writesDuringExports += uplinks + churned - writesBefore;
    const { records } = await readArchive(out);
    assertReferencesResolve(records);
    const target = await tempDataDir(t, 'devgate-backup-live-dst-');
    await writeFile(join(target, SECRET_KEY_FILE), `${key.toString('base64')}\n`);
    // Deferred foreign keys are checked at the import's commit: a dangling row would fail it.
    const summary = await importArchive({
      dataDir: target,
      file: out,
      force: false,
      openSink: async () => openSqliteArchiveSink(target, key),
    });
    assert.equal(summary.records, records.length - 1);
  }
  await assert.rejects(
    importArchive({
      dataDir,
      file: join(work, 'live-1.gz'),
      force: true,
      openSink: async () => openSqliteArchiveSink(dataDir, key),
    }),
    /data directory .* is in use by devgate start \(pid \d+\); stop it before importing into it/,
  );
  running = false;
  await Promise.all([uplinkLoop, churnLoop]);
  t.diagnostic(`writes while exporting: ${writesDuringExports}`);
  assert.ok(
    writesDuringExports > 0,
    `writes happened while exporting (${writesDuringExports}; ${uplinks} uplinks, ${churned} devices in all)`,
  );
});

test('CLI: devgate export --include-key and devgate import (spawned) restore a data dir with its key', async (t) => {
  const source = await tempDataDir(t, 'devgate-backup-cli-src-');
  const server = await startPlatformServer(t, source, ['--persistence']);
  await populate(t, server);
  assert.equal(await server.close(), true);
  const work = await tempDataDir(t, 'devgate-backup-cli-out-');
  const archive = join(work, 'backup.devgate.gz');

  const exported = spawnCli(t, ['export', '--data-dir', source, '--out', archive, '--include-key'], {
    timeoutMs: 30_000,
  });
  assert.equal(await cliExit(exported), 0, exported.output.stderr);
  assert.match(exported.output.stdout, /exported \d+ records/);
  assert.equal((await stat(archive)).mode & 0o777, 0o600);

  const target = await tempDataDir(t, 'devgate-backup-cli-dst-');
  const imported = spawnCli(t, ['import', archive, '--data-dir', target], { timeoutMs: 30_000 });
  assert.equal(await cliExit(imported), 0, imported.output.stderr);
  assert.match(
    imported.output.stdout,
    /imported \d+ records and 1 firmware files .*; wrote .*\/secret\.key\n$/,
  );
  assert.equal(
    await readFile(join(target, SECRET_KEY_FILE), 'utf8'),
    await readFile(join(source, SECRET_KEY_FILE), 'utf8'),
  );
  assert.equal((await stat(join(target, SECRET_KEY_FILE))).mode & 0o777, 0o600);

  const refused = spawnCli(t, ['import', archive, '--data-dir', target], { timeoutMs: 30_000 });
  assert.equal(await cliExit(refused), 1);
  assert.match(refused.output.stderr, /already holds data: import only into an empty one, or pass --force/);

  const again = join(work, 'again.devgate.gz');
  const second = spawnCli(t, ['export', '--data-dir', target, '--out', again, '--include-key'], {
    timeoutMs: 30_000,
  });
  assert.equal(await cliExit(second), 0, second.output.stderr);
  assert.deepEqual(await normalisedLines(again), await normalisedLines(archive));
});
