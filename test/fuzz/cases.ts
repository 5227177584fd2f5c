/** A fuzz case: everything about one connection, rebuilt from (seed, index) and the login data alone. */
import { buildSession, type Login, type LoginKind, type Version } from './corpus.js';
import { chunkStream, mutateSession } from './mutate.js';
import { Prng } from './prng.js';
import type { PlatformLogins, ServerKind } from './target.js';
import type { TransportKind } from './transport.js';

/**
 * How the client leaves: FIN at once, FIN after a short wait for the server, RST, or staying silent
 * long enough for deliveries to queue up and short keepalives to expire before FIN.
 */
export type Ending = 'end' | 'linger' | 'destroy' | 'hold';

export interface FuzzCase {
  readonly index: number;
  readonly server: ServerKind;
  readonly transport: TransportKind;
  readonly version: Version;
  readonly login: LoginKind;
  /** The packets as mutated; `chunks` is their concatenation cut at random points. */
  readonly packets: readonly Buffer[];
  readonly chunks: readonly Buffer[];
  readonly ending: Ending;
}

const WRONG_TOKEN = 'x'.repeat(32);

function platformLogin(prng: Prng, logins: PlatformLogins): Login {
  const tokens = logins.fuzzTokens;
  const kind = prng.pick<LoginKind>(['device', 'mgmt_device', 'oauth']);
  const wrong = prng.chance(0.03);
  if (kind === 'oauth') {
    const password = wrong ? `${logins.clientSecret.slice(1)}x` : logins.clientSecret;
    return { kind, username: logins.clientId, password, deviceTokens: tokens };
  }
  const password = wrong ? WRONG_TOKEN : prng.pick(tokens);
  return { kind, username: kind, password, deviceTokens: tokens };
}

function brokerLogin(prng: Prng): Login {
  if (prng.chance(0.9)) return { kind: 'anonymous', deviceTokens: [] };
  return { kind: 'anonymous', username: 'fuzz', password: 'fuzz', deviceTokens: [] };
}

/** Case `index` of the run seeded with `seed`: same seed and index, same case (given the same logins). */
export function buildCase(seed: number, index: number, logins: PlatformLogins): FuzzCase {
  const prng = Prng.forCase(seed, index);
  const server = prng.chance(0.6) ? 'platform' : 'broker';
  const transport = prng.chance(0.7) ? 'tcp' : 'ws';
  const version = prng.weighted<Version>([
    [1, 3],
    [4, 4],
    [5, 5],
  ]);
  const login = server === 'platform' ? platformLogin(prng, logins) : brokerLogin(prng);
  const session = buildSession(prng, version, login);
  mutateSession(prng, session);
  const ending = prng.weighted<Ending>([
    [12, 'end'],
    [5, 'linger'],
    [3, 'destroy'],
    [1, 'hold'],
  ]);
  const chunks = chunkStream(prng, session.packets);
  return { index, server, transport, version, login: login.kind, packets: session.packets, chunks, ending };
}

/**
 * Swaps this run's secrets (device tokens, OAuth client credentials) for same-length placeholders, so
 * a failing case can be kept as a regression and replayed against a server with other secrets.
 */
export function secretsTable(logins: PlatformLogins): Array<[string, string]> {
  const secrets = [...logins.fuzzTokens, logins.clientId, logins.clientSecret];
  return secrets.map((secret, i) => [secret, `{S${i}}`.padEnd(secret.length, '_')]);
}

function replaceAll(bytes: Buffer, from: string, to: string): Buffer {
  const needle = Buffer.from(from);
  const out = Buffer.from(bytes);
  for (let at = out.indexOf(needle); at >= 0; at = out.indexOf(needle, at + needle.length))
    Buffer.from(to).copy(out, at);
  return out;
}

/** Real secrets → placeholders. */
export function redact(bytes: Buffer, logins: PlatformLogins): Buffer {
  return secretsTable(logins).reduce(
    (out, [secret, placeholder]) => replaceAll(out, secret, placeholder),
    bytes,
  );
}

/** Placeholders → this server's secrets. */
export function restore(bytes: Buffer, logins: PlatformLogins): Buffer {
  return secretsTable(logins).reduce(
    (out, [secret, placeholder]) => replaceAll(out, placeholder, secret),
    bytes,
  );
}

/** Logins made of the placeholders themselves: for building cases without a running platform. */
export function placeholderLogins(): PlatformLogins {
  const pad = (i: number, length: number): string => `{S${i}}`.padEnd(length, '_');
  return {
    fuzzTokens: Array.from({ length: 8 }, (_, i) => pad(i, 32)),
    healthToken: pad(10, 32),
    clientId: pad(8, 46),
    clientSecret: pad(9, 40),
  };
}
