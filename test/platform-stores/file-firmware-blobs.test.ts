import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { firmwareFiles } from '../../src/ota/firmware-files.js';
import { describeFirmwareBlobsContract } from './firmware-blobs.contract.js';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'devgate-firmware-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describeFirmwareBlobsContract('files', async (t) => firmwareFiles(await tempDir(t)));

test('firmware blobs (files): {sha256}.bin files; sweep also removes interrupted writes', async (t) => {
  const files = firmwareFiles(await tempDir(t));
  const sha = 'e'.repeat(64);
  await files.save(sha, Buffer.from('x'));
  await writeFile(join(files.dir, `.${sha}.abc.tmp`), 'half');
  assert.deepEqual(await readdir(files.dir), [`.${sha}.abc.tmp`, `${sha}.bin`]);
  assert.equal(files.pathOf(sha), join(files.dir, `${sha}.bin`));
  assert.equal(await files.sweep(new Set([sha])), 1);
  assert.deepEqual(await readdir(files.dir), [`${sha}.bin`]);
});
