import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  dummySecretHash,
  hashSecret,
  parseSecretHash,
  randomUrlSafe,
  sha256Hex,
  verifySecret,
} from '../../../../src/platform/oauth/secret-hash.js';

const FORMAT = /^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/;

test('spec §9 secrets - scrypt$N$r$p$salt$hash with N=16384, r=8, p=1, 16-byte salt', async () => {
  const hash = await hashSecret('s3cret');
  assert.match(hash, FORMAT);
  const parsed = parseSecretHash(hash);
  assert.equal(parsed?.salt.length, 16);
  assert.equal(parsed?.hash.length, 32);
  assert.notEqual(await hashSecret('s3cret'), hash, 'a fresh salt each time');
});

test('spec §9 secrets - verification accepts the secret and nothing else', async () => {
  const hash = await hashSecret('correct horse');
  assert.equal(await verifySecret('correct horse', hash), true);
  assert.equal(await verifySecret('correct hors', hash), false);
  assert.equal(await verifySecret('', hash), false);
  assert.equal(await verifySecret('correct horse', 'plain text'), false);
});

test('spec §9 secrets - unreadable or abusive stored hashes are refused without hashing', () => {
  const good = dummySecretHash();
  assert.ok(parseSecretHash(good));
  assert.match(good, FORMAT);
  for (const bad of [
    good.replace('scrypt$', 'bcrypt$'),
    good.replace('$16384$', '$16383$'), // N must be a power of two
    good.replace('$16384$', `$${2 ** 24}$`), // too costly
    good.replace('$8$1$', '$99$1$'),
    good.split('$').slice(0, 5).join('$'),
    `${good}$extra`,
    'scrypt$16384$8$1$$',
  ]) {
    assert.equal(parseSecretHash(bad), undefined, bad);
  }
});

test('spec §9 secrets - the dummy hash matches no secret', async () => {
  assert.equal(await verifySecret('', dummySecretHash()), false);
  assert.equal(await verifySecret('anything', dummySecretHash()), false);
});

test('spec §9 tokens - URL-safe random strings and sha256 hex digests', () => {
  assert.match(randomUrlSafe(32), /^[A-Za-z0-9_-]{43}$/);
  assert.match(randomUrlSafe(30), /^[A-Za-z0-9_-]{40}$/);
  assert.notEqual(randomUrlSafe(32), randomUrlSafe(32));
  assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});
