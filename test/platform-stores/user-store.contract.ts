import assert from 'node:assert/strict';
import { type TestContext, type TestOptions, test } from 'node:test';
import { ConflictError } from '../../src/platform/errors.js';
import type { SessionRecord, StoredUser, UserStore } from '../../src/platform/users/user-store.js';

/** What a backend runner hands the suite: the store and two orgs (`a`, `b`) to put users in. */
export interface UserStoreHarness {
  readonly store: UserStore;
  readonly orgA: number;
  readonly orgB: number;
}

export type OpenUserStore = (t: TestContext) => Promise<UserStoreHarness>;

const T0 = 1_700_000_000_000;
let seq = 0;

function newUser(orgId: number, overrides: Partial<StoredUser> = {}): Omit<StoredUser, 'id'> {
  seq++;
  return {
    orgId,
    email: `user${seq}@example.com`,
    name: `User ${seq}`,
    role: 'viewer',
    passwordHash: `scrypt$16384$8$1$salt${seq}$hash${seq}`,
    createdAt: T0,
    ...overrides,
  };
}

function session(userId: number, tag: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    tokenHash: `hash-${tag}`,
    userId,
    csrfToken: `csrf-${tag}`,
    createdAt: T0,
    lastSeenAt: T0,
    idleExpiresAt: T0 + 1000,
    expiresAt: T0 + 5000,
    ...overrides,
  };
}

/** The UserStore contract (src/platform/users/user-store.ts), run once per backend. */
export function describeUserStoreContract(
  backend: string,
  open: OpenUserStore,
  options: TestOptions = {},
): void {
  const it = (what: string, fn: (t: TestContext) => Promise<void>) =>
    test(`UserStore contract (${backend}) - ${what}`, options, fn);

  it('insertUser round-trips every field; lookups by id and by email agree', async (t) => {
    const { store, orgA } = await open(t);
    const input = newUser(orgA, { role: 'admin' });
    const user = await store.insertUser(input);
    assert.deepEqual(user, { id: user.id, ...input });
    assert.deepEqual(await store.getUser(user.id), user);
    assert.deepEqual(await store.getUserByEmail(input.email), user);
    assert.equal(await store.getUser(user.id + 100), undefined);
    assert.equal(await store.getUserByEmail('nobody@example.com'), undefined);
  });

  it('emails are unique case-insensitively: a second user with the same email is a ConflictError', async (t) => {
    const { store, orgA, orgB } = await open(t);
    await store.insertUser(newUser(orgA, { email: 'ann@example.com' }));
    await assert.rejects(store.insertUser(newUser(orgB, { email: 'ANN@Example.com' })), ConflictError);
  });

  it('listUsers pages the users of the given orgs by id, with the total', async (t) => {
    const { store, orgA, orgB } = await open(t);
    const a1 = await store.insertUser(newUser(orgA));
    await store.insertUser(newUser(orgB));
    const a2 = await store.insertUser(newUser(orgA));
    const a3 = await store.insertUser(newUser(orgA));
    const first = await store.listUsers({ orgIds: [orgA], offset: 0, limit: 2 });
    assert.deepEqual(first, { content: [a1, a2], totalElements: 3 });
    const second = await store.listUsers({ orgIds: [orgA], offset: 2, limit: 2 });
    assert.deepEqual(second, { content: [a3], totalElements: 3 });
    assert.equal((await store.listUsers({ orgIds: [orgA, orgB], offset: 0, limit: 10 })).totalElements, 4);
    assert.deepEqual(await store.listUsers({ orgIds: [], offset: 0, limit: 10 }), {
      content: [],
      totalElements: 0,
    });
  });

  it('countRole counts one role in exactly one org', async (t) => {
    const { store, orgA, orgB } = await open(t);
    await store.insertUser(newUser(orgA, { role: 'admin' }));
    await store.insertUser(newUser(orgA, { role: 'admin' }));
    await store.insertUser(newUser(orgA, { role: 'staff' }));
    await store.insertUser(newUser(orgB, { role: 'admin' }));
    assert.equal(await store.countRole(orgA, 'admin'), 2);
    assert.equal(await store.countRole(orgA, 'viewer'), 0);
    assert.equal(await store.countRole(orgB, 'admin'), 1);
  });

  it('updateUser changes only the given fields; undefined for an unknown user', async (t) => {
    const { store, orgA, orgB } = await open(t);
    const user = await store.insertUser(newUser(orgA));
    const promoted = await store.updateUser(user.id, { role: 'staff' });
    assert.deepEqual(promoted, { ...user, role: 'staff' });
    const moved = await store.updateUser(user.id, { orgId: orgB, passwordHash: 'scrypt$new' });
    assert.deepEqual(moved, { ...user, role: 'staff', orgId: orgB, passwordHash: 'scrypt$new' });
    assert.equal(await store.updateUser(user.id + 100, { role: 'admin' }), undefined);
  });

  it('sessions: insert, find with their user, touch, delete', async (t) => {
    const { store, orgA } = await open(t);
    const user = await store.insertUser(newUser(orgA));
    const record = session(user.id, 'one');
    await store.insertSession(record);
    assert.deepEqual(await store.findSession(record.tokenHash), { session: record, user });
    assert.equal(await store.findSession('hash-unknown'), undefined);
    await store.touchSession(record.tokenHash, T0 + 500, T0 + 1500);
    const touched = await store.findSession(record.tokenHash);
    assert.deepEqual(touched?.session, { ...record, lastSeenAt: T0 + 500, idleExpiresAt: T0 + 1500 });
    assert.equal(await store.deleteSession(record.tokenHash), true);
    assert.equal(await store.deleteSession(record.tokenHash), false);
    assert.equal(await store.findSession(record.tokenHash), undefined);
  });

  it("deleting a user ends their sessions; deleteUserSessions ends only that user's", async (t) => {
    const { store, orgA } = await open(t);
    const ann = await store.insertUser(newUser(orgA));
    const bob = await store.insertUser(newUser(orgA));
    await store.insertSession(session(ann.id, 'ann1'));
    await store.insertSession(session(ann.id, 'ann2'));
    await store.insertSession(session(bob.id, 'bob1'));
    assert.equal(await store.deleteUserSessions(ann.id), 2);
    assert.equal(await store.findSession('hash-ann1'), undefined);
    assert.ok(await store.findSession('hash-bob1'));
    assert.equal(await store.deleteUser(bob.id), true);
    assert.equal(await store.deleteUser(bob.id), false);
    assert.equal(await store.findSession('hash-bob1'), undefined);
    assert.equal(await store.getUser(bob.id), undefined);
  });

  it('pruneExpiredSessions removes sessions past their idle or absolute expiry, keeps the others', async (t) => {
    const { store, orgA } = await open(t);
    const user = await store.insertUser(newUser(orgA));
    await store.insertSession(session(user.id, 'idle', { idleExpiresAt: T0 + 100, expiresAt: T0 + 9000 }));
    await store.insertSession(
      session(user.id, 'absolute', { idleExpiresAt: T0 + 9000, expiresAt: T0 + 100 }),
    );
    await store.insertSession(session(user.id, 'live', { idleExpiresAt: T0 + 9000, expiresAt: T0 + 9000 }));
    assert.equal(await store.pruneExpiredSessions(T0 + 100), 2);
    assert.equal(await store.findSession('hash-idle'), undefined);
    assert.equal(await store.findSession('hash-absolute'), undefined);
    assert.ok(await store.findSession('hash-live'));
    assert.equal(await store.pruneExpiredSessions(T0 + 100), 0);
  });
}
