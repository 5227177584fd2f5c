import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { UploadStore } from '../../../src/device-api/upload-store.js';

async function store(t: TestContext, maxFiles = 10): Promise<{ dir: string; uploads: UploadStore }> {
  const dir = await mkdtemp(join(tmpdir(), 'devgate-uploads-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return { dir, uploads: new UploadStore({ dir, key: randomBytes(32), maxFiles }) };
}

async function read(uploads: UploadStore, deviceId: number, stored: string): Promise<string | undefined> {
  const file = await uploads.open(deviceId, stored);
  if (file === undefined) return undefined;
  try {
    return (await file.readFile()).toString();
  } finally {
    await file.close();
  }
}

const storedFiles = async (dir: string) => (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();

test('spec §6.2 row 14 uploads: names keyed per device, the same name overwrites, the extension kept', async (t) => {
  const { uploads } = await store(t);
  const a = await uploads.save(1, 'photo.PNG', Buffer.from('one'));
  assert.match(a, /^[A-Za-z0-9_-]{32}\.png$/);
  assert.equal(await uploads.save(1, 'photo.PNG', Buffer.from('two')), a);
  assert.equal(await read(uploads, 1, a), 'two');
  assert.notEqual(await uploads.save(2, 'photo.PNG', Buffer.from('x')), a, 'another device');
  assert.equal(await read(uploads, 2, a), undefined);
  assert.match(await uploads.save(1, 'no-extension', Buffer.from('')), /^[A-Za-z0-9_-]{32}$/);
  for (const bad of ['../x', '.index.json', 'a'.repeat(33), ''])
    assert.equal(await uploads.open(1, bad), undefined);
  assert.equal(await uploads.open(0, a), undefined);
});

test('spec §6.2 row 14 uploads: concurrent saves of one device keep at most maxFiles, oldest evicted', async (t) => {
  const { dir, uploads } = await store(t, 5);
  const names = await Promise.all(
    Array.from({ length: 20 }, (_, i) => uploads.save(7, `f${i}.txt`, Buffer.from(String(i)))),
  );
  const kept = names.slice(15).sort();
  assert.deepEqual(await storedFiles(join(dir, '7')), kept);
  const index = JSON.parse(await readFile(join(dir, '7', '.index.json'), 'utf8')) as string[];
  assert.deepEqual(index, names.slice(15), 'oldest first, in the order they were saved');
  // Saving an existing name again makes it the newest: the next eviction takes another.
  await uploads.save(7, 'f15.txt', Buffer.from('again'));
  await uploads.save(7, 'new.txt', Buffer.from('new'));
  const now = await storedFiles(join(dir, '7'));
  assert.ok(now.includes(names[15] as string));
  assert.ok(!now.includes(names[16] as string));
});

test('spec §6.2 row 14 uploads: a lost or broken index is rebuilt from the files', async (t) => {
  const { dir, uploads } = await store(t, 2);
  const first = await uploads.save(3, 'a.txt', Buffer.from('a'));
  const second = await uploads.save(3, 'b.txt', Buffer.from('b'));
  // The rebuilt order is the files' modification times.
  await utimes(join(dir, '3', first), 946_684_800, 946_684_800);
  await utimes(join(dir, '3', second), 978_307_200, 978_307_200);
  await writeFile(join(dir, '3', '.index.json'), '{broken');
  const third = await uploads.save(3, 'c.txt', Buffer.from('c'));
  assert.deepEqual(await storedFiles(join(dir, '3')), [second, third].sort());
  assert.equal(await read(uploads, 3, first), undefined);
});
