import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { createFileAuth } from '../../../src/auth/file-auth.js';
import { formatPasswordHash, hashPassword } from '../../../src/auth/password-hash.js';
import type { ConnectRequest } from '../../../src/broker/auth.js';
import { createLogger, type Logger } from '../../../src/observability/logger.js';

/** A logger whose JSON lines are kept for assertions. */
function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) };
  return { logger: createLogger({ level: 'info', destination }), lines };
}

async function files(t: TestContext): Promise<{ passwd: string; acl: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'devgate-fa-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return { passwd: join(dir, 'passwd'), acl: join(dir, 'acl') };
}

const entry = async (user: string, password: string): Promise<string> =>
  `${user}:${formatPasswordHash(await hashPassword(Buffer.from(password), 1000))}\n`;

function login(username: string, password: string): ConnectRequest {
  return {
    clientId: 'c',
    username,
    password: Buffer.from(password),
    protocolVersion: 5,
    connection: { transport: 'tcp' },
  };
}

describe('password and ACL file reload (SIGHUP)', () => {
  test('a reload swaps both tables; later checks use the new ones', async (t) => {
    const { passwd, acl } = await files(t);
    await writeFile(passwd, await entry('alice', 'one'));
    await writeFile(acl, 'user alice\ntopic readwrite a/#\n');
    const auth = await createFileAuth({ allowAnonymous: false, passwordFile: passwd, aclFile: acl });
    const alice = { clientId: 'c', username: 'alice' };
    assert.equal((await auth.authenticator.authenticate(login('alice', 'one'))).ok, true);
    assert.equal(auth.authorizer.canReceive?.(alice, 'a/1'), true);

    await writeFile(passwd, await entry('bob', 'two'));
    await writeFile(acl, 'user alice\ntopic read b/#\n');
    const { logger, lines } = capturingLogger();
    assert.deepEqual(await auth.reload(logger), { passwordFile: 'reloaded', aclFile: 'reloaded' });
    assert.equal((await auth.authenticator.authenticate(login('alice', 'one'))).ok, false);
    assert.equal((await auth.authenticator.authenticate(login('bob', 'two'))).ok, true);
    const canReceive = auth.authorizer.canReceive!; // detached, as the broker may hold it
    assert.equal(canReceive(alice, 'a/1'), false);
    assert.equal(canReceive(alice, 'b/1'), true);
    assert.equal(await auth.authorizer.canPublish(alice, 'b/1'), false);
    assert.deepEqual(
      lines.map((line) => line.msg),
      ['password file reloaded: 1 users', 'acl file reloaded: 1 user blocks, 0 patterns'],
    );
  });

  test('a file with an error keeps its previous table and logs the line; the other file is still reloaded', async (t) => {
    const { passwd, acl } = await files(t);
    await writeFile(passwd, await entry('alice', 'one'));
    await writeFile(acl, 'user alice\ntopic readwrite a/#\n');
    const auth = await createFileAuth({ allowAnonymous: false, passwordFile: passwd, aclFile: acl });
    await writeFile(passwd, `# users\n${await entry('bob', 'two')}carol:secret\n`);
    await writeFile(acl, 'user alice\ntopic read b/#\n');
    const { logger, lines } = capturingLogger();
    assert.deepEqual(await auth.reload(logger), { passwordFile: 'failed', aclFile: 'reloaded' });
    assert.equal((await auth.authenticator.authenticate(login('alice', 'one'))).ok, true);
    assert.equal((await auth.authenticator.authenticate(login('bob', 'two'))).ok, false);
    const failed = lines.find((line) => line.msg === 'password file reload failed; keeping the previous one');
    assert.equal(failed?.level, 50);
    assert.match(String(failed?.reason), /line 3: entry for "carol" is not a \$7\$ or \$6\$ hash/);
    assert.doesNotMatch(JSON.stringify(lines), /secret/, 'the offending text is not logged');

    await writeFile(acl, 'user alice\nbogus line\n');
    await rm(passwd);
    const again = capturingLogger();
    assert.deepEqual(await auth.reload(again.logger), { passwordFile: 'failed', aclFile: 'failed' });
    assert.equal(auth.authorizer.canReceive?.({ clientId: 'c', username: 'alice' }, 'b/1'), true);
    assert.equal((await auth.authenticator.authenticate(login('alice', 'one'))).ok, true);
    assert.match(JSON.stringify(again.lines), /cannot read password file \(ENOENT\)/);
    assert.match(JSON.stringify(again.lines), /line 2: unknown keyword \\"bogus\\"/);
  });

  test('without files there is nothing to reload', async () => {
    const auth = await createFileAuth({ allowAnonymous: true });
    assert.deepEqual(await auth.reload(capturingLogger().logger), {});
  });
});
