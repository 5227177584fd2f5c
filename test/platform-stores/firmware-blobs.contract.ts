import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { type TestContext, type TestOptions, test } from 'node:test';
import type { FirmwareBlobs } from '../../src/ota/firmware-blobs.js';

export type OpenFirmwareBlobs = (t: TestContext) => Promise<FirmwareBlobs>;

const sha256Of = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

async function readAll(stream: Readable | undefined): Promise<Buffer | undefined> {
  if (stream === undefined) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The FirmwareBlobs contract: what the OTA catalog and the download route rely on. */
export function describeFirmwareBlobsContract(
  backend: string,
  open: OpenFirmwareBlobs,
  options: TestOptions = {},
): void {
  const it = (name: string, fn: (t: TestContext) => Promise<void>) =>
    test(`firmware blobs (${backend}): ${name}`, options, fn);

  it('bytes saved under their hash stream back whole, small and large (several pieces)', async (t) => {
    const blobs = await open(t);
    for (const size of [1, 4096, 600_000]) {
      const bytes = randomBytes(size);
      await blobs.save(sha256Of(bytes), bytes);
      assert.deepEqual(await readAll(await blobs.stream(sha256Of(bytes))), bytes, `${size} bytes`);
    }
  });

  it('a hash saved again keeps one copy; unknown and removed hashes stream nothing', async (t) => {
    const blobs = await open(t);
    const bytes = randomBytes(100);
    const sha = sha256Of(bytes);
    await blobs.save(sha, bytes);
    await blobs.save(sha, bytes);
    assert.deepEqual(await readAll(await blobs.stream(sha)), bytes);
    assert.equal(await blobs.stream('0'.repeat(64)), undefined);
    await blobs.remove(sha);
    assert.equal(await blobs.stream(sha), undefined);
    await blobs.remove(sha); // missing is fine
  });

  it('sweep removes every hash not kept and says how many', async (t) => {
    const blobs = await open(t);
    const contents = [randomBytes(10), randomBytes(20), randomBytes(30)];
    for (const bytes of contents) await blobs.save(sha256Of(bytes), bytes);
    const [kept, ...gone] = contents.map(sha256Of) as [string, ...string[]];
    assert.equal(await blobs.sweep(new Set([kept])), 2);
    assert.notEqual(await blobs.stream(kept), undefined);
    for (const sha of gone) assert.equal(await blobs.stream(sha), undefined);
    assert.equal(await blobs.sweep(new Set([kept])), 0);
  });
}
