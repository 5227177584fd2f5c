import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FileAuthenticator } from '../../../src/auth/file-authenticator.js';
import { hashPassword } from '../../../src/auth/password-hash.js';
import type { AuthResult, ConnectRequest } from '../../../src/broker/auth.js';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';

function request(username?: string, password?: string): ConnectRequest {
  return {
    clientId: 'c1',
    protocolVersion: 5,
    connection: { transport: 'tcp' },
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password: Buffer.from(password) }),
  };
}

function reason(result: AuthResult): number | 'ok' {
  return result.ok ? 'ok' : result.reasonCode;
}

describe('file authenticator (mosquitto 2 semantics)', async () => {
  const passwords = new Map([['alice', await hashPassword(Buffer.from('wonderland'), 1000)]]);

  test('valid username and password are accepted with the username in the identity', async () => {
    const auth = new FileAuthenticator({ allowAnonymous: false, passwords });
    const result = await auth.authenticate(request('alice', 'wonderland'));
    assert.deepEqual(result, { ok: true, identity: { clientId: 'c1', username: 'alice' } });
  });

  test('unknown user, wrong or missing password → 0x86 bad user name or password', async () => {
    for (const allowAnonymous of [false, true]) {
      const auth = new FileAuthenticator({ allowAnonymous, passwords });
      assert.equal(
        reason(await auth.authenticate(request('alice', 'nope'))),
        ReasonCode.BadUserNameOrPassword,
      );
      assert.equal(
        reason(await auth.authenticate(request('mallory', 'wonderland'))),
        ReasonCode.BadUserNameOrPassword,
      );
      assert.equal(reason(await auth.authenticate(request('alice'))), ReasonCode.BadUserNameOrPassword);
    }
  });

  test('no username: accepted only when anonymous clients are allowed (else 0x87)', async () => {
    assert.equal(
      reason(await new FileAuthenticator({ allowAnonymous: true, passwords }).authenticate(request())),
      'ok',
    );
    assert.equal(
      reason(await new FileAuthenticator({ allowAnonymous: false, passwords }).authenticate(request())),
      ReasonCode.NotAuthorized,
    );
  });

  test('no password file and no anonymous access: everyone is refused', async () => {
    const auth = new FileAuthenticator({ allowAnonymous: false });
    assert.equal(reason(await auth.authenticate(request())), ReasonCode.NotAuthorized);
    assert.equal(reason(await auth.authenticate(request('alice', 'wonderland'))), ReasonCode.NotAuthorized);
  });

  test('no password file with anonymous access: a username is taken as given (unverified)', async () => {
    const result = await new FileAuthenticator({ allowAnonymous: true }).authenticate(request('bob', 'x'));
    assert.deepEqual(result, { ok: true, identity: { clientId: 'c1', username: 'bob' } });
  });
});
