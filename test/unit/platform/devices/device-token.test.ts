import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  generateDeviceToken,
  generateQrToken,
  hashDeviceToken,
  isDeviceTokenShaped,
  issueDeviceToken,
  openDeviceToken,
  sealDeviceToken,
} from '../../../../src/platform/devices/device-token.js';
import { TokenCache } from '../../../../src/platform/devices/token-cache.js';
import { type Device, DeviceStatus } from '../../../../src/platform/model.js';

test('spec §2.1 token format: 32 URL-safe base64 characters (24 random bytes)', () => {
  for (let i = 0; i < 200; i++) {
    const token = generateDeviceToken();
    assert.match(token, /^[A-Za-z0-9_-]{32}$/);
    assert.equal(Buffer.from(token, 'base64url').length, 24);
  }
});

test('spec §9 tokens: unique and spread over the whole alphabet (CSPRNG, not a counter)', () => {
  const tokens = new Set<string>();
  const counts = new Map<string, number>();
  const n = 2000;
  for (let i = 0; i < n; i++) {
    const token = generateDeviceToken();
    tokens.add(token);
    for (const ch of token) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  assert.equal(tokens.size, n);
  // 64 symbols, 64 000 characters: each symbol is expected ~1000 times.
  assert.equal(counts.size, 64);
  for (const [ch, count] of counts) assert.ok(count > 800 && count < 1200, `${ch}: ${count}`);
  // Every bit position of the decoded bytes is set about half the time.
  const ones = new Array<number>(24 * 8).fill(0);
  for (const token of tokens) {
    const bytes = Buffer.from(token, 'base64url');
    for (let bit = 0; bit < ones.length; bit++)
      ones[bit] = (ones[bit] ?? 0) + (((bytes[bit >> 3] ?? 0) >> (bit & 7)) & 1);
  }
  for (const count of ones) assert.ok(count > n * 0.43 && count < n * 0.57, `bit set ${count}/${n}`);
});

test('spec §5.9 QR tokens: sqr_ + 32 URL-safe characters, unique', () => {
  const qr = new Set(Array.from({ length: 500 }, generateQrToken));
  assert.equal(qr.size, 500);
  for (const token of qr) assert.match(token, /^sqr_[A-Za-z0-9_-]{32}$/);
});

test('spec §2.1 shape check: only 32 URL-safe characters pass', () => {
  assert.equal(isDeviceTokenShaped(generateDeviceToken()), true);
  for (const bad of [
    '',
    'a'.repeat(31),
    'a'.repeat(33),
    `${'a'.repeat(31)}=`,
    `${'a'.repeat(31)}+`,
    `${'a'.repeat(31)}/`,
    `${'a'.repeat(31)}\n`,
    `${'é'.repeat(32)}`,
  ]) {
    assert.equal(isDeviceTokenShaped(bad), false, JSON.stringify(bad));
  }
});

test('spec §9 stored forms: sha256 hex for lookup; AES-256-GCM seal opens only with its key and hash', () => {
  const key = randomBytes(32);
  const { token, tokenHash, tokenCipher } = issueDeviceToken(key);
  assert.equal(tokenHash, hashDeviceToken(token));
  assert.match(tokenHash, /^[0-9a-f]{64}$/);
  assert.equal(tokenCipher.includes(Buffer.from(token)), false);
  assert.equal(openDeviceToken(key, tokenCipher, tokenHash), token);
  assert.throws(() => openDeviceToken(randomBytes(32), tokenCipher, tokenHash));
  assert.throws(() => openDeviceToken(key, tokenCipher, hashDeviceToken(generateDeviceToken())));
  const tampered = Buffer.from(tokenCipher);
  tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
  assert.throws(() => openDeviceToken(key, tampered, tokenHash));
  // A fresh IV every time: the same token seals differently.
  assert.notDeepEqual(sealDeviceToken(key, token, tokenHash), sealDeviceToken(key, token, tokenHash));
});

const device = (id: number): Device => ({
  id,
  name: `d${id}`,
  templateId: 1,
  orgId: 1,
  ownerUserId: null,
  status: DeviceStatus.Created,
  createdAt: 0,
  lastModifiedTs: 0,
});

test('token cache: bounded, least recently used goes first', () => {
  const cache = new TokenCache(2);
  cache.set('h1', device(1));
  cache.set('h2', device(2));
  assert.equal(cache.get('h1')?.id, 1); // h1 is now the most recent
  cache.set('h3', device(3));
  assert.equal(cache.size, 2);
  assert.equal(cache.get('h2'), undefined);
  assert.equal(cache.get('h1')?.id, 1);
  assert.equal(cache.get('h3')?.id, 3);
});

test('token cache: invalidate forgets a device; refresh replaces its snapshot; a new hash replaces the old', () => {
  const cache = new TokenCache(10);
  cache.set('h1', device(1));
  cache.refresh({ ...device(1), orgId: 5 });
  assert.equal(cache.get('h1')?.orgId, 5);
  cache.refresh(device(2)); // not cached: no-op
  assert.equal(cache.size, 1);
  cache.set('h1b', device(1));
  assert.equal(cache.get('h1'), undefined);
  assert.equal(cache.get('h1b')?.id, 1);
  cache.invalidate(1);
  assert.equal(cache.get('h1b'), undefined);
  assert.equal(cache.size, 0);
});

test('token cache: a set carrying a generation older than the last change is ignored', () => {
  const cache = new TokenCache(10);
  const before = cache.generation;
  cache.invalidate(7); // a change lands while a lookup is in flight
  cache.set('h7', device(7), before);
  assert.equal(cache.get('h7'), undefined);
  cache.set('h7', device(7), cache.generation);
  assert.equal(cache.get('h7')?.id, 7);
});

test('token cache: only a change of the same device refuses an older lookup; other devices changing meanwhile do not', () => {
  const cache = new TokenCache(10);
  const before = cache.generation;
  cache.refresh(device(8)); // another device's connect time recorded while this lookup was in flight
  cache.invalidate(9);
  cache.set('h7', device(7), before);
  assert.equal(cache.get('h7')?.id, 7, 'overlapping logins of many devices still fill the cache');
});

test('token cache: the record of changes is bounded; past it, every lookup older than the reset is refused', () => {
  const cache = new TokenCache(2);
  const before = cache.generation;
  for (const id of [1, 2, 3]) cache.invalidate(id); // the third change empties the record
  cache.set('h1', device(1), before);
  assert.equal(cache.get('h1'), undefined, 'cannot tell whether device 1 changed: refused');
  cache.set('h1', device(1), cache.generation);
  assert.equal(cache.get('h1')?.id, 1);
});
