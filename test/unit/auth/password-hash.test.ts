import assert from 'node:assert/strict';
import { createHash, pbkdf2Sync } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  DEFAULT_PBKDF2_ITERATIONS,
  formatPasswordHash,
  hashPassword,
  parsePasswordHash,
  verifyPassword,
} from '../../../src/auth/password-hash.js';

/** A `$7$` entry built the way mosquitto_passwd builds it: PBKDF2-HMAC-SHA512, 64-byte digest, base64. */
function mosquitto7(password: string, salt: Buffer, iterations: number): string {
  const digest = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${digest.toString('base64')}`;
}

/** A mosquitto 1.x `$6$` entry: SHA-512 over password then raw salt bytes. */
function mosquitto6(password: string, salt: Buffer): string {
  const digest = createHash('sha512').update(password).update(salt).digest();
  return `$6$${salt.toString('base64')}$${digest.toString('base64')}`;
}

const salt12 = Buffer.from('0123456789ab', 'utf8');

describe('mosquitto password hashes', () => {
  test('$7$ with mosquitto defaults (101 rounds, 12-byte salt) verifies the right password only', async () => {
    const line = mosquitto7('s3cret', salt12, 101);
    const hash = parsePasswordHash(line);
    assert.ok(hash);
    assert.equal(hash.kind, 'pbkdf2-sha512');
    assert.equal(await verifyPassword(Buffer.from('s3cret'), hash), true);
    assert.equal(await verifyPassword(Buffer.from('s3cret '), hash), false);
    assert.equal(await verifyPassword(Buffer.from(''), hash), false);
  });

  test('$6$ salted SHA-512 (mosquitto 1.x files) verifies', async () => {
    const hash = parsePasswordHash(
      mosquitto6('pässwörd', Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])),
    );
    assert.ok(hash);
    assert.equal(hash.kind, 'sha512');
    assert.equal(await verifyPassword(Buffer.from('pässwörd'), hash), true);
    assert.equal(await verifyPassword(Buffer.from('passwort'), hash), false);
  });

  test('format round-trips a parsed entry byte for byte', () => {
    for (const line of [
      mosquitto7('a', salt12, 101),
      mosquitto7('b', salt12, 20_000),
      mosquitto6('c', salt12),
    ]) {
      const hash = parsePasswordHash(line);
      assert.ok(hash);
      assert.equal(formatPasswordHash(hash), line);
    }
  });

  test('new hashes are $7$ with the stronger default and a fresh 12-byte salt', async () => {
    const a = await hashPassword(Buffer.from('pw'));
    const b = await hashPassword(Buffer.from('pw'));
    assert.equal(a.kind, 'pbkdf2-sha512');
    assert.ok(a.kind === 'pbkdf2-sha512' && a.iterations === DEFAULT_PBKDF2_ITERATIONS);
    assert.equal(a.salt.length, 12);
    assert.equal(a.hash.length, 64);
    assert.notDeepEqual(a.salt, b.salt);
    // Interoperable: what we write is what mosquitto would compute for that salt and count.
    assert.equal(formatPasswordHash(a), mosquitto7('pw', a.salt, DEFAULT_PBKDF2_ITERATIONS));
    assert.equal(await verifyPassword(Buffer.from('pw'), a), true);
  });

  test('malformed entries are rejected', () => {
    const bad = [
      'plaintext',
      '$7$',
      '$7$abc$AAAA$BBBB',
      '$7$0$AAAA$BBBB',
      '$7$101$AAAA',
      '$7$101$!!!!$BBBB',
      '$7$101$$BBBB',
      `$7$101$AAAA$${Buffer.alloc(65).toString('base64')}`,
      '$7$99999999999$AAAA$BBBB',
      '$6$AAAA',
      '$5$AAAA$BBBB',
      'x$6$AAAA$BBBB',
    ];
    for (const text of bad) assert.equal(parsePasswordHash(text), undefined, text);
  });
});
