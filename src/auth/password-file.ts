import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { AuthFileError } from './errors.js';
import { formatPasswordHash, type PasswordHash, parsePasswordHash } from './password-hash.js';

/** Username → hash, as read from a mosquitto-format password file. */
export type PasswordTable = ReadonlyMap<string, PasswordHash>;

function isSkipped(line: string): boolean {
  const trimmed = line.trim();
  return trimmed === '' || trimmed.startsWith('#');
}

/**
 * Parses `username:hash` lines (`$7$` PBKDF2-SHA512 or `$6$` salted SHA-512, as written by
 * mosquitto_passwd). Blank lines and `#` comments are skipped. Plain-text passwords are refused:
 * a file that is not hashed should not be trusted silently. Errors cite the line, not its text.
 */
export function parsePasswordFile(text: string, file: string): PasswordTable {
  const table = new Map<string, PasswordHash>();
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    if (isSkipped(line)) return;
    const lineNo = index + 1;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new AuthFileError(file, `line ${lineNo}: expected username:hash`);
    const username = line.slice(0, colon);
    const hash = parsePasswordHash(line.slice(colon + 1).trim());
    if (hash === undefined) {
      throw new AuthFileError(file, `line ${lineNo}: entry for "${username}" is not a $7$ or $6$ hash`);
    }
    if (table.has(username)) throw new AuthFileError(file, `line ${lineNo}: duplicate user "${username}"`);
    table.set(username, hash);
  });
  return table;
}

export async function loadPasswordFile(file: string): Promise<PasswordTable> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new AuthFileError(file, `cannot read password file (${(err as NodeJS.ErrnoException).code})`, {
      cause: err,
    });
  }
  return parsePasswordFile(text, file);
}

/** mosquitto refuses these in usernames: ':' would split the line, control chars break the file. */
export function validateUsername(username: string): string | undefined {
  if (username === '') return 'username must not be empty';
  if (username.includes(':')) return 'username must not contain ":"';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(username)) return 'username must not contain control characters';
  if (username.trim() !== username || username.startsWith('#')) {
    return 'username must not start with "#" or start/end with spaces';
  }
  return undefined;
}

/**
 * Adds or replaces `username`'s entry, keeping every other line (comments included) as it was.
 * Written to a temp file and renamed over the original, mode 0600.
 */
export async function setPasswordEntry(
  file: string,
  username: string,
  hash: PasswordHash,
): Promise<'added' | 'updated'> {
  const problem = validateUsername(username);
  if (problem !== undefined) throw new AuthFileError(file, problem);
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  parsePasswordFile(text, file); // refuse to rewrite a file we could not read back
  const entry = `${username}:${formatPasswordHash(hash)}`;
  const lines = text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
  const at = lines.findIndex((line) => !isSkipped(line) && line.slice(0, line.indexOf(':')) === username);
  if (at === -1) lines.push(entry);
  else lines[at] = entry;
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, `${lines.join('\n')}\n`, { mode: 0o600 });
  await rename(temp, file);
  return at === -1 ? 'added' : 'updated';
}
