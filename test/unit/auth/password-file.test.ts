import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { AuthFileError } from '../../../src/auth/errors.js';
import { loadPasswordFile, parsePasswordFile, setPasswordEntry } from '../../../src/auth/password-file.js';
import { hashPassword, verifyPassword } from '../../../src/auth/password-hash.js';

function entry(password: string): string {
  const salt = Buffer.from('saltsaltsalt');
  const digest = pbkdf2Sync(password, salt, 101, 64, 'sha512');
  return `$7$101$${salt.toString('base64')}$${digest.toString('base64')}`;
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'devgate-pw-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('password file', () => {
  test('parses user:hash lines, skipping blanks, comments and CRLF endings', async () => {
    const text = `# users\r\nalice:${entry('a')}\r\n\r\nbob smith:${entry('b')}\n`;
    const table = parsePasswordFile(text, 'pw');
    assert.deepEqual([...table.keys()], ['alice', 'bob smith']);
    assert.equal(await verifyPassword(Buffer.from('b'), table.get('bob smith')!), true);
  });

  test('errors name the file and line but never echo the line (it may hold a plain password)', () => {
    assert.throws(
      () => parsePasswordFile('alice:hunter2\n', 'pw.txt'),
      (err: unknown) =>
        err instanceof AuthFileError && /pw\.txt: line 1/.test(err.message) && !/hunter2/.test(err.message),
    );
    assert.throws(() => parsePasswordFile('no-colon-here\n', 'pw'), /line 1: expected username:hash/);
    assert.throws(
      () => parsePasswordFile(`a:${entry('x')}\na:${entry('y')}\n`, 'pw'),
      /line 2: duplicate user "a"/,
    );
  });

  test('a missing file is an AuthFileError', async (t) => {
    const dir = await tempDir(t);
    await assert.rejects(
      loadPasswordFile(join(dir, 'nope')),
      (err) => err instanceof AuthFileError && /ENOENT/.test(err.message),
    );
  });

  test('setPasswordEntry creates the file 0600, adds, then updates in place keeping other lines', async (t) => {
    const file = join(await tempDir(t), 'passwd');
    assert.equal(
      await setPasswordEntry(file, 'alice', await hashPassword(Buffer.from('one'), 1000)),
      'added',
    );
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const text = await readFile(file, 'utf8');
    await writeFile(file, `# keep me\n${text}bob:${entry('b')}\n`);
    assert.equal(
      await setPasswordEntry(file, 'alice', await hashPassword(Buffer.from('two'), 1000)),
      'updated',
    );
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    assert.equal(lines[0], '# keep me');
    assert.match(lines[1]!, /^alice:\$7\$1000\$/);
    assert.equal(lines[2], `bob:${entry('b')}`);
    const table = await loadPasswordFile(file);
    assert.equal(await verifyPassword(Buffer.from('two'), table.get('alice')!), true);
    assert.equal(await verifyPassword(Buffer.from('one'), table.get('alice')!), false);
  });

  test('setPasswordEntry refuses usernames that would corrupt the file', async (t) => {
    const file = join(await tempDir(t), 'passwd');
    const hash = await hashPassword(Buffer.from('x'), 1000);
    for (const name of ['', 'a:b', 'new\nline', '#comment', ' padded']) {
      await assert.rejects(setPasswordEntry(file, name, hash), AuthFileError, JSON.stringify(name));
    }
  });
});
