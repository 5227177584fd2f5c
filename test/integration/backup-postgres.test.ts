import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ArchiveError } from '../../src/backup/archive-format.js';
import type { ArchiveSink, ArchiveSource } from '../../src/backup/archive-store.js';
import { writeArchive } from '../../src/backup/export-archive.js';
import { importArchive } from '../../src/backup/import-archive.js';
import { openPostgresArchiveSink } from '../../src/backup/postgres-archive-sink.js';
import { openPostgresArchiveSource } from '../../src/backup/postgres-archive-source.js';
import { openSqliteArchiveSink } from '../../src/backup/sqlite-archive-sink.js';
import { openSqliteArchiveSource } from '../../src/backup/sqlite-archive-source.js';
import { runExport } from '../../src/cli/backup-command.js';
import { ExitCode } from '../../src/cli/io.js';
import { runMigrateTo } from '../../src/cli/migrate-command.js';
import { SECRET_KEY_FILE } from '../../src/platform/admin-bootstrap.js';
import { hashDeviceToken } from '../../src/platform/devices/device-token.js';
import { openPlatformPool } from '../../src/platform/postgres/platform-pool.js';
import { openPostgresStores } from '../../src/store/postgres/index.js';
import { addRetained, type Populated, populate, readArchive } from '../helpers/backup-world.js';
import { captureIo } from '../helpers/cli-io.js';
import { startPlatformServer, tempDataDir } from '../helpers/platform-server.js';
import { freshDatabase, postgresTestOptions, queryAt } from '../helpers/postgres.js';
import { cliExit, spawnCli } from '../helpers/spawn-cli.js';

/** A fresh database with the platform schema (the sink writes history through its partitions). */
async function targetDatabase(t: TestContext): Promise<string> {
  const url = await freshDatabase(t);
  await (await openPlatformPool(url)).end();
  return url;
}

const FIXED_TIME = () => new Date('2026-01-02T03:04:05.000Z');

async function keyOf(dataDir: string): Promise<Buffer> {
  return Buffer.from((await readFile(join(dataDir, SECRET_KEY_FILE), 'utf8')).trim(), 'base64');
}

async function exportFrom(source: ArchiveSource, out: string, key: Buffer) {
  try {
    return await writeArchive(source, {
      out,
      history: true,
      tokenKey: key,
      includeKey: false,
      devgateVersion: '0.0.0-test',
      now: FIXED_TIME,
    });
  } finally {
    await source.close();
  }
}

function importInto(
  dataDir: string,
  file: string,
  openSink: (key: Buffer) => Promise<ArchiveSink>,
  force = false,
) {
  return importArchive({ dataDir, file, force, openSink });
}

/** A stopped SQLite data dir with every kind of data, and its archive. */
async function populatedDataDir(
  t: TestContext,
): Promise<{ source: string; populated: Populated; archive: string }> {
  const source = await tempDataDir(t, 'devgate-backup-pg-src-');
  const server = await startPlatformServer(t, source, ['--persistence']);
  const populated = await populate(t, server);
  assert.equal(await server.close(), true);
  await addRetained(source);
  const work = await tempDataDir(t, 'devgate-backup-pg-work-');
  const archive = join(work, 'sqlite.devgate.gz');
  await exportFrom(openSqliteArchiveSource(source, { history: true }), archive, await keyOf(source));
  return { source, populated, archive };
}

/** A data dir holding only the source's secret.key (a PostgreSQL target keeps its key there). */
async function keyDir(t: TestContext, source: string): Promise<string> {
  const dir = await tempDataDir(t, 'devgate-backup-pg-key-');
  await copyFile(join(source, SECRET_KEY_FILE), join(dir, SECRET_KEY_FILE));
  return dir;
}

/**
 * Archives equal record by record (engine JSON is jsonb on PostgreSQL, which keeps no key order,
 * so the lines may differ in key order only: deepStrictEqual compares objects unordered).
 */
async function assertSameArchive(actual: string, expected: string, message: string): Promise<void> {
  const a = await readArchive(actual);
  const b = await readArchive(expected);
  assert.deepStrictEqual(a.header, b.header, `${message}: same header`);
  assert.equal(a.records.length, b.records.length, `${message}: as many records`);
  assert.deepStrictEqual(a.records, b.records, message);
}

test(
  'backup on PostgreSQL: SQLite → archive → PostgreSQL → archive gives the same records; PostgreSQL → SQLite too',
  postgresTestOptions(),
  async (t) => {
    const { source, archive } = await populatedDataDir(t);
    const url = await targetDatabase(t);
    const key = await keyOf(source);
    const keyed = await keyDir(t, source);

    const summary = await importInto(keyed, archive, (key) => openPostgresArchiveSink(url, key));
    assert.equal(summary.firmwareFiles, 1);
    assert.doesNotMatch(summary.target, /postgres:\/\/[^@/]*:[^@/]*@/, 'no password in the printed target');
    // Imported points land in their day's partition (retention drops whole days), as live ones do.
    const placed = await queryAt<{ part: string; n: number }>(
      url,
      'SELECT tableoid::regclass::text AS part, count(*)::int AS n FROM history GROUP BY 1',
    );
    assert.ok(
      placed.length > 0 && placed.every((p) => /^history_p\d{8}$/.test(p.part)),
      JSON.stringify(placed),
    );

    const fromPg = join(keyed, 'pg.devgate.gz');
    await exportFrom(await openPostgresArchiveSource(url, { history: true }), fromPg, key);
    await assertSameArchive(fromPg, archive, 'the PostgreSQL export equals the SQLite export');
    // The platform's records (JSON kept as text there) are even byte-identical, line by line.
    const lines = async (file: string) => (await readArchive(file)).records.map((r) => JSON.stringify(r));
    const platformLines = (all: string[]) =>
      all.filter((l) => !/"kind":"(session|outbound|retained)"/.test(l));
    assert.deepEqual(platformLines(await lines(fromPg)), platformLines(await lines(archive)));

    const back = await keyDir(t, source);
    await importInto(back, fromPg, async () => openSqliteArchiveSink(back, key));
    const again = join(back, 'again.devgate.gz');
    await exportFrom(openSqliteArchiveSource(back, { history: true }), again, key);
    await assertSameArchive(again, archive, 'PostgreSQL → SQLite gives the original records back');
    const firmware = (await readArchive(archive)).records.find((r) => r.kind === 'firmware')!;
    const sha = String(firmware.data.sha256);
    assert.deepEqual(
      await readFile(join(back, 'firmware', `${sha}.bin`)),
      await readFile(join(source, 'firmware', `${sha}.bin`)),
    );
  },
);

test(
  'backup on PostgreSQL: import refuses a non-empty database unless --force, and a failed import keeps it as it was',
  postgresTestOptions(),
  async (t) => {
    const { source, archive } = await populatedDataDir(t);
    const url = await targetDatabase(t);
    const keyed = await keyDir(t, source);
    await importInto(keyed, archive, (key) => openPostgresArchiveSink(url, key));
    const count = async () =>
      (await queryAt<{ n: number }>(url, 'SELECT count(*)::int AS n FROM devices'))[0]?.n;
    const devices = await count();
    assert.ok(devices !== undefined && devices > 0);
    await assert.rejects(
      importInto(keyed, archive, (key) => openPostgresArchiveSink(url, key)),
      (err: Error) => {
        assert.ok(err instanceof ArchiveError);
        assert.match(err.message, /already holds data: import only into an empty one, or pass --force/);
        return true;
      },
    );
    // An archive whose device names a template it lacks: the whole import is rolled back.
    const broken = join(keyed, 'broken.devgate.gz');
    const { header, records } = await readArchive(archive);
    const damaged = records.map((r) =>
      r.kind === 'device' ? { ...r, data: { ...r.data, templateId: 999_999 } } : r,
    );
    await writeFile(broken, gzipSync(`${[header, ...damaged].map((l) => JSON.stringify(l)).join('\n')}\n`));
    await assert.rejects(
      importInto(keyed, broken, (key) => openPostgresArchiveSink(url, key), true),
      /do not fit together/,
    );
    assert.equal(await count(), devices, 'the forced import that failed left the rows as they were');
    await importInto(keyed, archive, (key) => openPostgresArchiveSink(url, key), true);
    assert.equal(await count(), devices);
  },
);

test(
  'CLI: devgate migrate-to copies a data dir into PostgreSQL (tokens, values, firmware, ids never reused); a non-empty target is refused unless --force',
  postgresTestOptions(),
  async (t) => {
    const { source, populated, archive } = await populatedDataDir(t);
    const url = await targetDatabase(t);
    const migrate = (...extra: string[]) =>
      spawnCli(t, ['migrate-to', '--database-url', url, '--data-dir', source, ...extra], {
        timeoutMs: 60_000,
      });
    const first = migrate();
    assert.equal(await cliExit(first), 0, first.output.stderr);
    assert.match(first.output.stdout, /copied \d+ records and 1 firmware files from .* into postgres/);

    const tokenHash = hashDeviceToken(populated.token);
    const [device] = await queryAt<{ id: number; template_id: number }>(
      url,
      'SELECT id, template_id FROM devices WHERE token_hash = $1',
      [tokenHash],
    );
    assert.ok(device, 'the device is found by its token hash');
    const values = await queryAt<{ name: string; value: string }>(
      url,
      `SELECT d.name, v.value FROM current_values v JOIN datastreams d ON d.id = v.datastream_id
      WHERE v.device_id = $1 ORDER BY d.name`,
      [device.id],
    );
    const byName = Object.fromEntries(values.map((v) => [v.name, JSON.parse(v.value) as unknown]));
    assert.equal(byName.Temperature, 21.5, JSON.stringify(values));
    assert.equal(byName.Power, 41, JSON.stringify(values));
    const history = await queryAt<{ n: number }>(
      url,
      'SELECT count(*)::int AS n FROM history WHERE device_id = $1',
      [device.id],
    );
    assert.ok((history[0]?.n ?? 0) >= 3, 'history came along');
    const [blob] = await queryAt<{ sha256: string; bytes: Buffer }>(
      url,
      'SELECT sha256, bytes FROM firmware_blobs',
    );
    assert.deepEqual(blob?.bytes, populated.firmware);
    assert.equal(blob?.sha256, createHash('sha256').update(populated.firmware).digest('hex'));
    const [flags] = await queryAt<{ is_active: boolean }>(
      url,
      'SELECT is_active FROM organizations ORDER BY id LIMIT 1',
    );
    assert.equal(flags?.is_active, true, 'SQLite 1 became boolean true');
    // A new row takes an id past every archived one (and past the high-water mark).
    const { records } = await readArchive(archive);
    const highWater = records.find((r) => r.kind === 'idHighWater' && r.data.entity === 'organization');
    const [org] = await queryAt<{ id: number }>(
      url,
      `INSERT INTO organizations (name, name_lower, type, tz, unit_system, created_at, last_modified_ts, parent_id)
     VALUES ('new', 'new', 'BUSINESS', 'UTC', 'METRIC', 0, 0, (SELECT min(id) FROM organizations)) RETURNING id::int`,
    );
    assert.ok(org !== undefined && org.id > Number(highWater?.data.last), `new id ${org?.id}`);

    const refused = migrate();
    assert.equal(await cliExit(refused), 1);
    assert.match(
      refused.output.stderr,
      /already holds data: migrate-to only into an empty one, or pass --force/,
    );
    assert.ok(!refused.output.stderr.includes(populated.token));
    const forced = migrate('--force');
    assert.equal(await cliExit(forced), 0, forced.output.stderr);
    const orgs = await queryAt<{ n: number }>(
      url,
      "SELECT count(*)::int AS n FROM organizations WHERE name = 'new'",
    );
    assert.equal(orgs[0]?.n, 0, '--force replaced what the database held');

    // The engine's PostgreSQL stores read the copied sessions and retained messages as their own.
    const engine = await openPostgresStores(url);
    try {
      const sessions = await engine.sessions.loadAll();
      // A device's session is stored under its device id.
      const session = sessions.find((s) => s.session.clientId === `device:${device.id}`);
      assert.ok(session, JSON.stringify(sessions.map((s) => s.session.clientId)));
      assert.deepEqual(
        session.outbound.map((o) => [o.message.topic, o.message.payload.toString()]),
        [[`$dev/${device.id}/downlink/ds/Power`, '41']],
      );
      const [retained] = await engine.retained.loadAll();
      assert.equal(retained?.topic, 'plain/status');
      assert.deepEqual(retained?.payload, Buffer.from([0, 1, 2, 255]));
      assert.deepEqual(retained?.properties.correlationData, Buffer.from('corr'));
    } finally {
      await engine.close();
    }

    // export with DEVGATE_DATABASE_URL reads PostgreSQL, the data dir gives secret.key.
    const out = join(source, 'from-pg.devgate.gz');
    const exported = spawnCli(t, ['export', '--data-dir', source, '--out', out], {
      env: { DEVGATE_DATABASE_URL: url },
      timeoutMs: 60_000,
    });
    assert.equal(await cliExit(exported), 0, exported.output.stderr);
    const fromPg = await readArchive(out);
    const fromSqlite = await readArchive(archive);
    // The CLI writes its own version; the test export wrote 0.0.0-test.
    const comparable = (header: typeof fromPg.header) => ({ ...header, createdAt: '', devgateVersion: '' });
    assert.deepStrictEqual(comparable(fromPg.header), comparable(fromSqlite.header));
    assert.deepStrictEqual(fromPg.records, fromSqlite.records);
  },
);

test('CLI: migrate-to without a database URL, or with one that is not postgres://, is a usage error; an unreachable database fails with the password masked', async (t) => {
  const dir = await tempDataDir(t, 'devgate-backup-pg-cli-');
  await writeFile(join(dir, SECRET_KEY_FILE), `${Buffer.alloc(32, 1).toString('base64')}\n`);
  const noUrl = captureIo(dir);
  assert.equal(await runMigrateTo(['--data-dir', dir], noUrl), ExitCode.Usage);
  assert.match(noUrl.out.stderr, /expected --database-url <url> \(or DEVGATE_DATABASE_URL\)/);
  const mysql = captureIo(dir, { DEVGATE_DATABASE_URL: 'mysql://root@localhost/devgate' });
  assert.equal(await runMigrateTo(['--data-dir', dir], mysql), ExitCode.Usage);
  assert.match(mysql.out.stderr, /must be a postgres:\/\/ or postgresql:\/\/ URL/);
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  const away = captureIo(dir);
  const url = 'postgres://devgate:hunter2@127.0.0.1:1/devgate';
  const code = await runExport(['--data-dir', dir, '--database-url', url, '--out', join(dir, 'x.gz')], away);
  assert.equal(code, ExitCode.Failure, away.out.stderr);
  assert.match(
    away.out.stderr,
    /cannot use the database at postgres:\/\/devgate:\*\*\*\*@127\.0\.0\.1:1\/devgate/,
  );
  assert.ok(!away.out.stderr.includes('hunter2'), 'the password is never printed');
});

/** An organization record as the archive carries it. */
function orgRecord(id: number, parentId: number | null) {
  const name = `org ${id}`;
  return {
    kind: 'organization',
    data: {
      id,
      parentId,
      name,
      nameLower: name,
      description: '',
      type: parentId === null ? 'ROOT' : 'BUSINESS',
      isActive: 1,
      tz: 'UTC',
      unitSystem: 'METRIC',
      phoneNumber: null,
      address: null,
      homeRegionUrl: null,
      createdAt: 1,
      lastModifiedTs: 1,
    },
  };
}

test(
  'backup on PostgreSQL: an organization whose parent has a higher id (moved under a newer one) is imported; a missing parent is refused',
  postgresTestOptions(),
  async (t) => {
    const url = await targetDatabase(t);
    const sink = await openPostgresArchiveSink(url, randomBytes(32));
    for (const record of [orgRecord(1, null), orgRecord(2, 4), orgRecord(3, 2), orgRecord(4, 1)])
      await sink.write(record);
    await sink.commit();
    const rows = await queryAt<{ id: number; parent_id: number | null }>(
      url,
      'SELECT id::int, parent_id::int FROM organizations ORDER BY id',
    );
    assert.deepEqual(
      rows.map((r) => [r.id, r.parent_id]),
      [
        [1, null],
        [2, 4],
        [3, 2],
        [4, 1],
      ],
    );

    const other = await targetDatabase(t);
    const orphan = await openPostgresArchiveSink(other, randomBytes(32));
    await orphan.write(orgRecord(1, null));
    await orphan.write(orgRecord(2, 9));
    await assert.rejects(orphan.write({ kind: 'user', data: {} }), /organization 2 names parent 9/);
    await orphan.abort();
    assert.deepEqual(await queryAt(other, 'SELECT id FROM organizations'), [], 'nothing was kept');
  },
);
