import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type TestContext, type TestOptions, test } from 'node:test';
import {
  storedUploadName,
  type UploadStore,
  type UploadStoreOptions,
} from '../../src/platform/uploads/upload-store.js';

/** A store with `options`, and three devices it may keep files of. */
export interface UploadStoreFixture {
  readonly uploads: UploadStore;
  readonly devices: readonly [number, number, number];
}

export type OpenUploadStore = (t: TestContext, options: UploadStoreOptions) => Promise<UploadStoreFixture>;

const text = async (uploads: UploadStore, deviceId: number, stored: string) =>
  (await uploads.read(deviceId, stored))?.toString();

/** The UploadStore contract (spec §6.2 row 14), run on every backend. */
export function describeUploadStoreContract(
  backend: string,
  open: OpenUploadStore,
  options: TestOptions = {},
): void {
  const it = (name: string, fn: (t: TestContext) => Promise<void>) =>
    test(`upload store (${backend}): ${name}`, options, fn);

  it('spec §6.2 row 14 uploads: names keyed per device, the same name overwrites, the extension kept', async (t) => {
    const key = randomBytes(32);
    const { uploads, devices } = await open(t, { key, maxFiles: 10 });
    const [d1, d2] = devices;
    assert.equal(uploads.maxFiles, 10);
    const a = await uploads.save(d1, 'photo.PNG', Buffer.from('one'));
    assert.match(a, /^[A-Za-z0-9_-]{32}\.png$/);
    assert.equal(await uploads.save(d1, 'photo.PNG', Buffer.from('two')), a);
    assert.equal(await text(uploads, d1, a), 'two');
    assert.notEqual(await uploads.save(d2, 'photo.PNG', Buffer.from('x')), a, 'another device');
    assert.equal(await uploads.read(d2, a), undefined);
    assert.match(await uploads.save(d1, 'no-extension', Buffer.from('')), /^[A-Za-z0-9_-]{32}$/);
    for (const bad of ['../x', '.index.json', 'a'.repeat(33), ''])
      assert.equal(await uploads.read(d1, bad), undefined);
    assert.equal(await uploads.read(0, a), undefined);
    assert.equal(await uploads.read(-1, a), undefined);
    // One derivation on every backend: a key, a device and a name give the same stored name.
    assert.equal(a, storedUploadName(key, d1, 'photo.PNG'));
  });

  it('spec §6.2 row 14 uploads: concurrent saves of one device keep at most maxFiles, oldest evicted', async (t) => {
    const { uploads, devices } = await open(t, { key: randomBytes(32), maxFiles: 5 });
    const [d1, d2] = devices;
    const other = await uploads.save(d2, 'kept.txt', Buffer.from('other device'));
    const names = await Promise.all(
      Array.from({ length: 20 }, (_, i) => uploads.save(d1, `f${i}.txt`, Buffer.from(String(i)))),
    );
    for (const [i, name] of names.entries())
      assert.equal(await text(uploads, d1, name), i >= 15 ? String(i) : undefined, `f${i}.txt`);
    assert.equal(await text(uploads, d2, other), 'other device', "one device's files never evict another's");
    // Saving an existing name again makes it the newest: the next eviction takes another.
    await uploads.save(d1, 'f15.txt', Buffer.from('again'));
    await uploads.save(d1, 'new.txt', Buffer.from('new'));
    assert.equal(await text(uploads, d1, names[15] as string), 'again');
    assert.equal(await uploads.read(d1, names[16] as string), undefined);
    for (const i of [17, 18, 19]) assert.equal(await text(uploads, d1, names[i] as string), String(i));
  });
}
