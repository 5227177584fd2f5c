import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { FileUploadStore } from '../../../src/device-api/upload-store.js';

// What every UploadStore does is in test/platform-stores/upload-store.contract.ts; here, the files.

async function store(t: TestContext, maxFiles = 10): Promise<{ dir: string; uploads: FileUploadStore }> {
  const dir = await mkdtemp(join(tmpdir(), 'devgate-uploads-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return { dir, uploads: new FileUploadStore({ dir, key: randomBytes(32), maxFiles }) };
}

const storedFiles = async (dir: string) => (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();

test('spec §6.2 row 14 uploads (files): one directory per device, its index oldest first', async (t) => {
  const { dir, uploads } = await store(t, 5);
  const names = await Promise.all(
    Array.from({ length: 20 }, (_, i) => uploads.save(7, `f${i}.txt`, Buffer.from(String(i)))),
  );
  assert.deepEqual(await storedFiles(join(dir, '7')), names.slice(15).sort());
  const index = JSON.parse(await readFile(join(dir, '7', '.index.json'), 'utf8')) as string[];
  assert.deepEqual(index, names.slice(15), 'oldest first, in the order they were saved');
});

test('spec §6.2 row 14 uploads (files): a lost or broken index is rebuilt from the files', async (t) => {
  const { dir, uploads } = await store(t, 2);
  const first = await uploads.save(3, 'a.txt', Buffer.from('a'));
  const second = await uploads.save(3, 'b.txt', Buffer.from('b'));
  // The rebuilt order is the files' modification times.
  await utimes(join(dir, '3', first), 946_684_800, 946_684_800);
  await utimes(join(dir, '3', second), 978_307_200, 978_307_200);
  await writeFile(join(dir, '3', '.index.json'), '{broken');
  const third = await uploads.save(3, 'c.txt', Buffer.from('c'));
  assert.deepEqual(await storedFiles(join(dir, '3')), [second, third].sort());
  assert.equal(await uploads.read(3, first), undefined);
});
