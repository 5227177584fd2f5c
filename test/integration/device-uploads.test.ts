import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { seedDeviceHttpWorld } from '../helpers/device-http.js';
import { startPlatformServer, tempDataDir } from '../helpers/platform-server.js';
import { testBackend } from '../helpers/test-backend.js';

/**
 * spec §6.2 row 14 / §7.1 file uploads on a running `devgate start` (in-process, ports 0), over
 * real HTTP with real multipart bodies (undici's FormData).
 */

const PUBLIC_URL = 'https://files.example.com';

async function start(t: TestContext, extra: readonly string[] = []) {
  const dataDir = await tempDataDir(t, 'devgate-upload-');
  const running = await startPlatformServer(t, dataDir, ['--public-url', PUBLIC_URL, ...extra]);
  const seeded = await seedDeviceHttpWorld(running.platform, running.admin.root.id);
  const upload = (
    name: string,
    content: string | Buffer,
    options: { token?: string; field?: string } = {},
  ) => {
    const form = new FormData();
    form.append(options.field ?? 'upfile', new Blob([content]), name);
    return fetch(`${running.httpUrl}/external/api/upload?token=${options.token ?? seeded.token}`, {
      method: 'POST',
      body: form,
    });
  };
  /** GETs a URL the upload answered, on this server (its host is the public URL's). */
  const fetchServed = (url: string) => fetch(`${running.httpUrl}${new URL(url).pathname}`);
  return { ...seeded, running, dataDir, upload, fetchServed };
}

async function errorOf(response: Response): Promise<[number, string]> {
  const body = (await response.json()) as { error: { message: string } };
  return [response.status, body.error.message];
}

test('spec §6.2 row 14 upload: 200 with the file URL on the public URL; served back as uploaded', async (t) => {
  const s = await start(t);
  const response = await s.upload('poem.txt', 'My awesome poem');
  assert.equal(response.status, 200);
  assert.match(String(response.headers.get('content-type')), /^text\/plain/);
  const url = await response.text();
  assert.match(url, new RegExp(`^${PUBLIC_URL}/device_uploads/${s.device.id}/[A-Za-z0-9_-]{32}\\.txt$`));
  const served = await s.fetchServed(url);
  assert.equal(served.status, 200);
  assert.equal(await served.text(), 'My awesome poem');
  assert.match(String(served.headers.get('content-type')), /^text\/plain/);
  assert.equal(served.headers.get('x-content-type-options'), 'nosniff');
  // Stored under <data-dir>/uploads/{deviceId}/ (on SQLite; PostgreSQL keeps them as rows).
  const stored = url.slice(url.lastIndexOf('/') + 1);
  if (testBackend === 'sqlite') {
    assert.ok((await readdir(join(s.dataDir, 'uploads', String(s.device.id)))).includes(stored));
  }
  // Anything but images and plain data is a download, never a page of this origin.
  const page = await s.fetchServed(await (await s.upload('x.html', '<script>1</script>')).text());
  assert.equal(page.headers.get('content-type'), 'application/octet-stream');
  assert.match(String(page.headers.get('content-disposition')), /^attachment/);
  assert.equal(
    (await s.fetchServed(`${PUBLIC_URL}/device_uploads/${s.device.id}/${'A'.repeat(32)}`)).status,
    404,
  );
  assert.equal(
    (await s.fetchServed(`${PUBLIC_URL}/device_uploads/${s.device.id}/..%2Fsecret.key`)).status,
    404,
  );
});

test('spec §6.2 row 14 upload: the same name overwrites (same URL); past 10 files the oldest goes', async (t) => {
  const s = await start(t);
  const first = await (await s.upload('log.txt', 'one')).text();
  const again = await (await s.upload('log.txt', 'two')).text();
  assert.equal(again, first);
  assert.equal(await (await s.fetchServed(first)).text(), 'two');
  const urls: string[] = [];
  for (let i = 0; i < 10; i++) urls.push(await (await s.upload(`file-${i}.txt`, `content ${i}`)).text());
  assert.equal((await s.fetchServed(first)).status, 404, 'the oldest of 11 was evicted');
  for (const url of urls) assert.equal((await s.fetchServed(url)).status, 200);
  if (testBackend === 'sqlite') {
    const names = await readdir(join(s.dataDir, 'uploads', String(s.device.id)));
    assert.equal(names.filter((n) => !n.startsWith('.')).length, 10);
  }
  // Another device's files are its own: the same name is another URL.
  const other = await (await s.upload('log.txt', 'other', { token: s.otherToken })).text();
  assert.notEqual(other, first);
  assert.match(other, new RegExp(`/device_uploads/${s.other.id}/`));
});

test('spec §6.2 row 14 upload errors: Invalid token. (400), size (413), field, daily limit (403)', async (t) => {
  const s = await start(t, ['--upload-max-bytes', '1000', '--uploads-per-day', '2']);
  assert.deepEqual(await errorOf(await s.upload('a.txt', 'x', { token: 'A'.repeat(32) })), [
    400,
    'Invalid token.',
  ]);
  assert.deepEqual(await errorOf(await s.upload('big.bin', Buffer.alloc(1001))), [
    413,
    'File is larger than 1000 bytes.',
  ]);
  assert.deepEqual(await errorOf(await s.upload('a.txt', 'x', { field: 'file' })), [
    400,
    'No file in the form field "upfile".',
  ]);
  const notForm = await fetch(`${s.running.httpUrl}/external/api/upload?token=${s.token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  assert.deepEqual(await errorOf(notForm), [400, 'Unknown content type.']);
  assert.equal((await s.upload('exactly.bin', Buffer.alloc(1000))).status, 200);
  assert.equal((await s.upload('b.txt', 'y')).status, 200);
  assert.deepEqual(await errorOf(await s.upload('c.txt', 'z')), [
    403,
    'File uploads limit has been reached.',
  ]);
  assert.equal((await s.upload('c.txt', 'z', { token: s.otherToken })).status, 200, 'per device');
});

test('spec §6.2 row 14 upload: --upload-max-files 0 turns uploads off (403)', async (t) => {
  const s = await start(t, ['--upload-max-files', '0']);
  assert.deepEqual(await errorOf(await s.upload('a.txt', 'x')), [
    403,
    'File uploads limit has been reached.',
  ]);
});
