import assert from 'node:assert/strict';
import { copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ARCHIVE_FORMAT_VERSION, ArchiveError, MAX_LINE_BYTES } from '../../src/backup/archive-format.js';
import { writeArchive } from '../../src/backup/export-archive.js';
import { importArchive } from '../../src/backup/import-archive.js';
import { openSqliteArchiveSink } from '../../src/backup/sqlite-archive-sink.js';
import { openSqliteArchiveSource } from '../../src/backup/sqlite-archive-source.js';
import { SECRET_KEY_FILE } from '../../src/platform/admin-bootstrap.js';
import {
  addRetained,
  consoleSignIn,
  DEVICE_CLIENT_ID,
  gatewaySession,
  normalisedLines,
  populate,
  readArchive,
} from '../helpers/backup-world.js';
import { connectClient } from '../helpers/mqtt-client.js';
import { startPlatformServer, tempDataDir } from '../helpers/platform-server.js';

const FIXED_TIME = () => new Date('2026-01-02T03:04:05.000Z');

async function keyOf(dataDir: string): Promise<Buffer> {
  return Buffer.from((await readFile(join(dataDir, SECRET_KEY_FILE), 'utf8')).trim(), 'base64');
}

/** Exports `dataDir` to `out` in-process (the CLI does the same). */
async function exportTo(dataDir: string, out: string, options: { history?: boolean; now?: () => Date } = {}) {
  const history = options.history ?? true;
  const source = openSqliteArchiveSource(dataDir, { history });
  try {
    return await writeArchive(source, {
      out,
      history,
      tokenKey: await keyOf(dataDir),
      includeKey: false,
      devgateVersion: '0.0.0-test',
      ...(options.now && { now: options.now }),
    });
  } finally {
    await source.close();
  }
}

function importInto(dataDir: string, file: string, force = false) {
  return importArchive({
    dataDir,
    file,
    force,
    openSink: async (key) => openSqliteArchiveSink(dataDir, key),
  });
}

/** A closed source data dir with every kind of data, its archive, and a fresh target holding the source's key. */
async function exported(t: TestContext) {
  const source = await tempDataDir(t, 'devgate-backup-src-');
  const server = await startPlatformServer(t, source, ['--persistence']);
  const populated = await populate(t, server);
  assert.equal(await server.close(), true);
  await addRetained(source);
  const work = await tempDataDir(t, 'devgate-backup-work-');
  const archive = join(work, 'a.devgate.gz');
  await exportTo(source, archive, { now: FIXED_TIME });
  const target = await tempDataDir(t, 'devgate-backup-dst-');
  await copyFile(join(source, SECRET_KEY_FILE), join(target, SECRET_KEY_FILE));
  return { source, populated, work, archive, target };
}

test('backup round trip: export → import → export gives the same archive; the imported dir serves the old tokens', async (t) => {
  const { populated, work, archive, target } = await exported(t);
  assert.equal((await stat(archive)).mode & 0o777, 0o600, 'the archive is written 0600');
  const { header, records } = await readArchive(archive);
  assert.equal(header.formatVersion, ARCHIVE_FORMAT_VERSION);
  for (const kind of [
    'organization',
    'user',
    'template',
    'datastream',
    'templateEvent',
    'metaField',
    'device',
    'oauthClient',
    'staticToken',
    'currentValue',
    'history',
    'metaValue',
    'deviceEvent',
    'firmware',
    'session',
    'outbound',
    'retained',
    'idHighWater',
  ])
    assert.ok(
      (header.counts[kind] ?? 0) > 0,
      `the archive holds ${kind} records: ${JSON.stringify(header.counts)}`,
    );
  assert.equal(records.at(-1)?.kind, 'end');
  const sessions = records.filter((r) => r.kind === 'session');
  const gatewayRecord = sessions.find((r) => String(r.data.clientId).endsWith(':backup-gateway'));
  assert.ok(gatewayRecord, JSON.stringify(sessions));
  const [subscription] = gatewayRecord.data.subscriptions as Array<{ filter: string; sealed?: true }>;
  assert.equal(subscription?.sealed, true, 'the gateway subscription is archived sealed, as stored');
  // Secrets at rest stay as stored: no device token in clear anywhere in the archive.
  const text = gunzipSync(await readFile(archive)).toString('utf8');
  assert.ok(!text.includes(populated.token), 'no clear device token in the archive');
  assert.ok(!text.includes(populated.world.oauth.secret), 'no clear OAuth secret in the archive');
  assert.ok(!text.includes(populated.adminLogin.password), 'no clear user password in the archive');
  assert.ok(!text.includes('csrf'), 'console sessions are not archived');

  const summary = await importInto(target, archive);
  assert.equal(summary.firmwareFiles, 1);
  const again = join(work, 'b.devgate.gz');
  await exportTo(target, again, { now: FIXED_TIME });
  assert.deepEqual(
    await readFile(again),
    await readFile(archive),
    'same export time: byte-identical archives',
  );
  const later = join(work, 'c.devgate.gz');
  await exportTo(target, later);
  assert.deepEqual(
    await normalisedLines(later),
    await normalisedLines(archive),
    'identical but for createdAt',
  );

  const server = await startPlatformServer(t, target, ['--persistence']);
  const device = await connectClient(t, server.server.addresses.mqtt!, {
    protocolVersion: 5,
    clientId: DEVICE_CLIENT_ID,
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
    username: 'device',
    password: populated.token,
  });
  assert.equal(device.connack.sessionPresent, true, 'the persistent session came along');
  const queued = await device.inbox.next();
  assert.deepEqual([queued.topic, queued.payload.toString()], ['downlink/ds/Power', '41']);
  // The gateway's subscription was stored sealed; with the same key it delivers as dev/{token}/….
  const gateway = await connectClient(t, server.server.addresses.mqtt!, gatewaySession(populated.world));
  assert.equal(gateway.connack.sessionPresent, true);
  const forwarded = await gateway.inbox.next();
  assert.deepEqual(
    [forwarded.topic, forwarded.payload.toString()],
    [`dev/${populated.token}/downlink/ds/Power`, '41'],
  );
  const value = await fetch(`${server.httpUrl}/external/api/get?token=${populated.token}&v2`);
  assert.equal(await value.text(), '21.5');
  assert.equal(await consoleSignIn(server.httpUrl, populated.adminLogin), 200, 'users came along');
  assert.equal(server.admin.userCreated, false, 'no second admin user for an imported platform');
  const firmware = (await readArchive(archive)).records.find((r) => r.kind === 'firmware')!;
  assert.deepEqual(
    await readFile(join(target, 'firmware', `${String(firmware.data.sha256)}.bin`)),
    populated.firmware,
  );
});

test('backup: --no-history leaves history out; import refuses a non-empty target unless --force', async (t) => {
  const { source, work, archive, target } = await exported(t);
  const lean = join(work, 'lean.devgate.gz');
  await exportTo(source, lean, { history: false, now: FIXED_TIME });
  const { header, records } = await readArchive(lean);
  assert.equal(header.history, false);
  assert.equal(header.counts.history, undefined);
  assert.ok(!records.some((r) => r.kind === 'history'));

  await importInto(target, lean);
  await assert.rejects(importInto(target, archive), (err: Error) => {
    assert.ok(err instanceof ArchiveError);
    assert.match(err.message, /already holds data.*--force/);
    return true;
  });
  await importInto(target, archive, true);
  const again = join(work, 'again.devgate.gz');
  await exportTo(target, again, { now: FIXED_TIME });
  assert.deepEqual(await readFile(again), await readFile(archive), '--force replaced everything');
});

test('backup: import refuses a newer format version, a foreign file, a cut-off archive and a foreign secret.key, leaving the target empty', async (t) => {
  const { work, archive, target } = await exported(t);
  const lines = gunzipSync(await readFile(archive))
    .toString('utf8')
    .split('\n');
  const header = JSON.parse(lines[0]!) as Record<string, unknown>;

  const newer = join(work, 'newer.gz');
  const bumped = { ...header, formatVersion: ARCHIVE_FORMAT_VERSION + 1, devgateVersion: '99.0.0' };
  await writeFile(newer, gzipSync([JSON.stringify(bumped), ...lines.slice(1)].join('\n')));
  await assert.rejects(
    importInto(target, newer),
    /format version 2 \(written by devgate 99\.0\.0\) is newer than this devgate reads \(version 1\)/,
  );

  const foreignFile = join(work, 'not-an-archive.gz');
  await writeFile(foreignFile, gzipSync('{"hello":"world"}\n'));
  await assert.rejects(importInto(target, foreignFile), /not a devgate archive/);
  await writeFile(foreignFile, 'plain text');
  await assert.rejects(importInto(target, foreignFile), /not a readable gzip archive/);

  // A line without end is refused once past the limit, not buffered on.
  await writeFile(foreignFile, gzipSync(`${lines[0]}\n${'x'.repeat(MAX_LINE_BYTES + 2)}`));
  await assert.rejects(importInto(target, foreignFile), /a line is longer than/);

  const cut = join(work, 'cut.gz');
  await writeFile(cut, gzipSync(lines.slice(0, -3).join('\n')));
  await assert.rejects(importInto(target, cut), /cut off/);

  const foreign = await tempDataDir(t, 'devgate-backup-foreign-');
  await writeFile(join(foreign, SECRET_KEY_FILE), `${Buffer.alloc(32, 7).toString('base64')}\n`);
  await assert.rejects(importInto(foreign, archive), /not the key this archive was exported with/);
  const keyless = await tempDataDir(t, 'devgate-backup-keyless-');
  await assert.rejects(importInto(keyless, archive), /has no secret\.key.*--include-key/);

  // Nothing of the refused imports stayed: a plain import still finds the target empty.
  await importInto(target, archive);
});
