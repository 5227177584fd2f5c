import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  type DownloadClaims,
  downloadTokenKey,
  signDownloadToken,
  verifyDownloadToken,
} from '../../../src/ota/download-token.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const FILE = `${'ab'.repeat(32)}.bin`;
const TTL_MS = 15 * 60 * 1000;

function setup() {
  const clock = new FakeClock();
  const key = downloadTokenKey(randomBytes(32));
  const claims: DownloadClaims = { deviceId: 7, shipmentId: 3, file: FILE, expiresAt: clock.now() + TTL_MS };
  return { clock, key, claims, token: signDownloadToken(key, claims) };
}

/** Replaces one dot-separated part of a token. */
function withPart(token: string, index: number, value: string): string {
  const parts = token.split('.');
  parts[index] = value;
  return parts.join('.');
}

describe('spec §6.2 OTA download token (signed, short-lived, bound to device + shipment + file)', () => {
  test('a fresh token verifies and yields its claims', () => {
    const { clock, key, claims, token } = setup();
    assert.match(token, /^7\.3\.\d+\.[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(verifyDownloadToken(key, token, FILE, clock.now()), {
      deviceId: 7,
      shipmentId: 3,
      expiresAt: claims.expiresAt,
    });
  });

  test('expiry: valid until just before expiresAt, refused from then on (fake clock)', () => {
    const { clock, key, token } = setup();
    clock.advance(TTL_MS - 1);
    assert.ok(verifyDownloadToken(key, token, FILE, clock.now()));
    clock.advance(1);
    assert.equal(verifyDownloadToken(key, token, FILE, clock.now()), undefined);
  });

  test('tampering with any bound value is refused', () => {
    const { clock, key, claims, token } = setup();
    const now = clock.now();
    const tampered = [
      withPart(token, 0, '8'),
      withPart(token, 1, '4'),
      withPart(token, 2, String(claims.expiresAt + 3_600_000)),
      withPart(token, 3, 'A'.repeat(43)),
    ];
    for (const bad of tampered) assert.equal(verifyDownloadToken(key, bad, FILE, now), undefined, bad);
    assert.equal(verifyDownloadToken(key, token, `${'cd'.repeat(32)}.bin`, now), undefined, 'other file');
  });

  test('another key, malformed text and non-canonical spellings are refused', () => {
    const { clock, key, token } = setup();
    const now = clock.now();
    assert.equal(verifyDownloadToken(downloadTokenKey(randomBytes(32)), token, FILE, now), undefined);
    // base64url has two spare bits in the last of 43 characters: flipping one decodes the same mac.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = `${token.slice(0, -1)}${alphabet[alphabet.indexOf(token.at(-1) ?? 'A') ^ 1]}`;
    const malformed = [
      '',
      'x',
      `${token}.1`,
      token.slice(0, -1),
      `07${token.slice(1)}`,
      token.replace('.', '..'),
      respelled,
    ];
    for (const bad of malformed) assert.equal(verifyDownloadToken(key, bad, FILE, now), undefined, bad);
  });

  test('the derived key differs from the platform key and is stable', () => {
    const platformKey = randomBytes(32);
    const derived = downloadTokenKey(platformKey);
    assert.equal(derived.length, 32);
    assert.notDeepEqual(derived, platformKey);
    assert.deepEqual(downloadTokenKey(platformKey), derived);
  });
});
