import assert from 'node:assert/strict';
import { randomBytes, scryptSync } from 'node:crypto';
import { test } from 'node:test';
import { hashPassword, verifyPassword } from '../../../../src/platform/users/passwords.js';

test('user passwords: scrypt with its parameters and a per-user salt in the stored hash', async () => {
  const first = await hashPassword('correct horse battery');
  const second = await hashPassword('correct horse battery');
  assert.match(first, /^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.notEqual(first, second, 'the same password hashes differently for two users');
  assert.equal(await verifyPassword('correct horse battery', first), true);
  assert.equal(await verifyPassword('correct horse batterY', first), false);
});

test('user passwords: a hash made with other scrypt parameters still verifies (the cost can change)', async () => {
  const salt = randomBytes(16);
  const hash = scryptSync('older password', salt, 32, { N: 1024, r: 8, p: 2 });
  const stored = `scrypt$1024$8$2$${salt.toString('base64url')}$${hash.toString('base64url')}`;
  assert.equal(await verifyPassword('older password', stored), true);
  assert.equal(await verifyPassword('other password', stored), false);
});

test('user passwords: no user, or a user without a password, never verifies', async () => {
  assert.equal(await verifyPassword('anything at all', undefined), false);
  assert.equal(await verifyPassword('anything at all', '!'), false);
  assert.equal(await verifyPassword('', '!'), false);
});
