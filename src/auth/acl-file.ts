import { readFile } from 'node:fs/promises';
import { AuthFileError } from './errors.js';

export type AclAccess = 'read' | 'write' | 'readwrite' | 'deny';

export interface AclRule {
  readonly access: AclAccess;
  /** A topic filter; in patterns, levels `%c` and `%u` are replaced by client id and username. */
  readonly topic: string;
}

/** A parsed mosquitto ACL file. */
export interface AclTable {
  /** `topic` lines before the first `user` line: clients without a username. */
  readonly anonymous: readonly AclRule[];
  readonly users: ReadonlyMap<string, readonly AclRule[]>;
  /** `pattern` lines, wherever they appear: every client. */
  readonly patterns: readonly AclRule[];
}

const ACCESS_WORDS: ReadonlySet<string> = new Set(['read', 'write', 'readwrite', 'deny']);

/** `[access] <topic>`: the access word may be left out (readwrite) when the topic has no space. */
function parseRule(rest: string, file: string, lineNo: number): AclRule {
  const space = rest.search(/\s/);
  const first = space === -1 ? rest : rest.slice(0, space);
  const topic = space === -1 ? '' : rest.slice(space).trim();
  if (topic === '') {
    if (ACCESS_WORDS.has(first)) throw new AuthFileError(file, `line ${lineNo}: missing topic`);
    return { access: 'readwrite', topic: first };
  }
  if (!ACCESS_WORDS.has(first)) {
    throw new AuthFileError(file, `line ${lineNo}: access must be read, write, readwrite or deny`);
  }
  return { access: first as AclAccess, topic };
}

/**
 * Parses the mosquitto ACL format: `topic [read|write|readwrite|deny] <topic>`,
 * `user <name>` (starts a block for that user), `pattern [access] <topic>`, `#` comments.
 */
export function parseAclFile(text: string, file: string): AclTable {
  const anonymous: AclRule[] = [];
  const users = new Map<string, AclRule[]>();
  const patterns: AclRule[] = [];
  let current = anonymous;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const lineNo = index + 1;
    const space = line.search(/\s/);
    const keyword = space === -1 ? line : line.slice(0, space);
    const rest = space === -1 ? '' : line.slice(space).trim();
    if (rest === '') throw new AuthFileError(file, `line ${lineNo}: "${keyword}" needs an argument`);
    if (keyword === 'user') {
      const rules = users.get(rest) ?? [];
      users.set(rest, rules);
      current = rules;
    } else if (keyword === 'topic') {
      current.push(parseRule(rest, file, lineNo));
    } else if (keyword === 'pattern') {
      patterns.push(parseRule(rest, file, lineNo));
    } else {
      throw new AuthFileError(file, `line ${lineNo}: unknown keyword "${keyword}"`);
    }
  });
  return { anonymous, users, patterns };
}

export async function loadAclFile(file: string): Promise<AclTable> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new AuthFileError(file, `cannot read ACL file (${(err as NodeJS.ErrnoException).code})`, {
      cause: err,
    });
  }
  return parseAclFile(text, file);
}
