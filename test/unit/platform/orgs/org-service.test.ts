import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '../../../../src/platform/errors.js';
import { FakeClock } from '../../../helpers/channel-harness.js';
import { callerFor, openTestPlatform } from '../../../helpers/platform.js';
import { insertDeviceRow } from '../../../platform-stores/sqlite-platform-db.js';
import { as, buildTree, openOrgsAndOAuth } from './org-harness.js';

const notFound = (id: number) =>
  new NotFoundError(`Organization with identifier ${id} is not found or belong to another organization.`);

test('spec §5.1 root - created once with type ROOT and defaults; a second one is a ConflictError', async (t) => {
  const clock = new FakeClock(1_000);
  const { orgs } = await openTestPlatform(t, { clock });
  assert.equal(await orgs.root(), undefined);
  const root = await orgs.createRoot({ name: 'Acme Root' });
  assert.deepEqual(root, {
    id: root.id,
    name: 'Acme Root',
    description: '',
    type: 'ROOT',
    parentOrganizationId: null,
    isActive: true,
    tz: 'UTC',
    unitSystem: 'METRIC',
    createdAt: 1_000,
    lastModifiedTs: 1_000,
  });
  assert.deepEqual(await orgs.root(), root);
  await assert.rejects(orgs.createRoot({ name: 'Another' }), ConflictError);
  await assert.rejects(orgs.createRoot({ name: 'Another', type: 'BUSINESS' }), ConflictError);
  assert.deepEqual(orgs.subtree(root.id), [root.id]);
});

test('spec §5.1 root - only type ROOT is accepted for the root', async (t) => {
  const { orgs } = await openTestPlatform(t);
  await assert.rejects(orgs.createRoot({ name: 'Acme', type: 'BUSINESS' }), ValidationError);
  await assert.rejects(orgs.createRoot({ name: 'x' }), ValidationError);
  assert.equal(await orgs.root(), undefined);
});

test('spec §5.1 create - a sub-org under the caller org by default, inheriting tz and unit system', async (t) => {
  const { orgs } = await openTestPlatform(t);
  const root = await orgs.createRoot({ name: 'Root', tz: 'Europe/Kyiv', unitSystem: 'IMPERIAL' });
  const child = await orgs.create(callerFor(root.id), {
    name: 'Child Co',
    description: 'A child',
    phoneNumber: '+380441234567',
    address: { city: 'Kyiv' },
  });
  assert.equal(child.parentOrganizationId, root.id);
  assert.equal(child.type, 'BUSINESS');
  assert.equal(child.tz, 'Europe/Kyiv');
  assert.equal(child.unitSystem, 'IMPERIAL');
  assert.equal(child.phoneNumber, '+380441234567');
  assert.deepEqual(child.address, { city: 'Kyiv' });
  assert.deepEqual(await orgs.get(callerFor(root.id), child.id), child);
  assert.equal(orgs.isInScope(root.id, child.id), true);
  assert.deepEqual(orgs.ancestry(child.id), [root.id, child.id]);
});

test('spec §5.1 create - invalid fields are refused and nothing is stored', async (t) => {
  const { orgs } = await openTestPlatform(t);
  const root = await orgs.createRoot({ name: 'Root' });
  const caller = callerFor(root.id);
  for (const input of [
    { name: 'ab' },
    { name: 'Good Name', description: '<script>' },
    { name: 'Good Name', tz: 'Nowhere/City' },
    { name: 'Good Name', phoneNumber: '0441234567' },
    { name: 'Good Name', type: 'ROOT' as const },
    { name: 'Good Name', type: 'NOPE' as 'BUSINESS' },
  ]) {
    await assert.rejects(orgs.create(caller, input), ValidationError, JSON.stringify(input));
  }
  assert.equal((await orgs.list(caller)).totalElements, 1);
});

test('spec §5.1 create - the child of a PERSONAL org is PERSONAL', async (t) => {
  const { orgs } = await openTestPlatform(t);
  const root = await orgs.createRoot({ name: 'Root' });
  const personal = await orgs.create(callerFor(root.id), { name: 'Home', type: 'PERSONAL' });
  const child = await orgs.create(callerFor(personal.id), { name: 'Kid' });
  assert.equal(child.type, 'PERSONAL');
  await assert.rejects(
    orgs.create(callerFor(personal.id), { name: 'Shop', type: 'BUSINESS' }),
    ValidationError,
  );
  assert.equal((await orgs.create(callerFor(root.id), { name: 'Res', type: 'RESELLER' })).type, 'RESELLER');
});

test('spec §5.1 create - depth limit from the options, root = level 1', async (t) => {
  for (const limit of [2, 4]) {
    const { orgs } = await openTestPlatform(t, { options: { orgDepthLimit: limit } });
    let parent = (await orgs.createRoot({ name: 'Root' })).id;
    for (let level = 2; level <= limit; level++) {
      parent = (await orgs.create(callerFor(parent), { name: `Level ${level}` })).id;
    }
    assert.equal(orgs.ancestry(parent).length, limit);
    await assert.rejects(orgs.create(callerFor(parent), { name: 'Too Deep' }), {
      name: 'ValidationError',
      message: `Organizations can be nested at most ${limit} levels deep.`,
    });
  }
});

test('spec §5.1 create - a parent outside the caller scope is reported as not found', async (t) => {
  const { orgs } = await openTestPlatform(t);
  const ids = await buildTree(orgs);
  await assert.rejects(
    orgs.create(as(ids.a), { name: 'Sneaky', parentOrganizationId: ids.b }),
    notFound(ids.b),
  );
  await assert.rejects(
    orgs.create(as(ids.a), { name: 'Sneaky', parentOrganizationId: ids.root }),
    notFound(ids.root),
  );
  await assert.rejects(orgs.create(as(ids.a), { name: 'Nowhere', parentOrganizationId: 999 }), notFound(999));
  const deep = await orgs.create(as(ids.a), { name: 'Deep', parentOrganizationId: ids.a1 });
  assert.equal(deep.parentOrganizationId, ids.a1);
});

test('spec §5.1 scope - a sub-org cannot get, update or delete its parent or a sibling (same message as missing)', async (t) => {
  const { orgs } = await openTestPlatform(t);
  const ids = await buildTree(orgs);
  const caller = as(ids.a);
  for (const target of [ids.root, ids.b, ids.b1, 999]) {
    await assert.rejects(orgs.get(caller, target), notFound(target));
    await assert.rejects(orgs.update(caller, target, { name: 'Hijacked' }), notFound(target));
    await assert.rejects(orgs.delete(caller, target), notFound(target));
  }
  assert.equal((await orgs.get(as(ids.root), ids.b)).name, 'Beta', 'nothing changed');
  assert.equal((await orgs.get(caller, ids.a11)).name, 'Alpha One One', 'grandchild visible');
});

test('spec §5.1 list/search - the caller org and its descendants, ordered by id, paged', async (t) => {
  const { orgs } = await openTestPlatform(t);
  const ids = await buildTree(orgs);
  const page = await orgs.list(as(ids.a));
  assert.deepEqual(
    page.content.map((o) => o.id),
    [ids.a, ids.a1, ids.a11],
  );
  assert.equal(page.totalElements, 3);
  const second = await orgs.list(as(ids.root), { page: 1, size: 4 });
  assert.deepEqual(
    second.content.map((o) => o.id),
    [ids.b, ids.b1],
  );
  assert.equal(second.totalElements, 6);
  const found = await orgs.search(as(ids.a), 'ONE');
  assert.deepEqual(
    found.content.map((o) => o.name),
    ['Alpha One', 'Alpha One One'],
  );
  assert.equal((await orgs.search(as(ids.a), 'beta')).totalElements, 0, 'siblings never found');
  await assert.rejects(orgs.list(as(ids.a), { size: 5000 }), ValidationError);
  assert.deepEqual(await orgs.list(as(999)), { content: [], totalElements: 0 });
});

test('spec §5.1 update - fields change, lastModifiedTs comes from the clock', async (t) => {
  const clock = new FakeClock(5_000);
  const { orgs } = await openTestPlatform(t, { clock });
  const ids = await buildTree(orgs);
  clock.advance(250);
  const updated = await orgs.update(as(ids.root), ids.a, {
    name: 'Alpha Renamed',
    description: 'new',
    tz: 'Asia/Tokyo',
    unitSystem: 'IMPERIAL',
    address: { zip: '1000' },
    isActive: false,
  });
  assert.equal(updated.name, 'Alpha Renamed');
  assert.equal(updated.tz, 'Asia/Tokyo');
  assert.equal(updated.isActive, false);
  assert.deepEqual(updated.address, { zip: '1000' });
  assert.equal(updated.createdAt, 5_000);
  assert.equal(updated.lastModifiedTs, 5_250);
  assert.deepEqual(await orgs.get(as(ids.a), ids.a), updated);
  await assert.rejects(orgs.update(as(ids.root), ids.a, { name: 'x' }), ValidationError);
});

test('spec §5.1 update - type rules: ROOT stays ROOT, PERSONAL parents keep PERSONAL children', async (t) => {
  const { orgs } = await openTestPlatform(t);
  const ids = await buildTree(orgs);
  const root = as(ids.root);
  await assert.rejects(orgs.update(root, ids.root, { type: 'BUSINESS' }), ValidationError);
  await assert.rejects(orgs.update(root, ids.a, { type: 'ROOT' }), ValidationError);
  // a1 has a BUSINESS child (a11): it cannot become PERSONAL until the child is.
  await assert.rejects(orgs.update(root, ids.a1, { type: 'PERSONAL' }), ValidationError);
  await orgs.update(root, ids.a11, { type: 'PERSONAL' });
  await orgs.update(root, ids.a1, { type: 'PERSONAL' });
  await assert.rejects(orgs.update(root, ids.a11, { type: 'BRANCH' }), ValidationError);
  assert.equal((await orgs.update(root, ids.a1, { type: 'INSTALLER' })).type, 'INSTALLER');
});

test('spec §5.1 update - the root and the caller own org cannot be deactivated', async (t) => {
  const { orgs } = await openTestPlatform(t);
  const ids = await buildTree(orgs);
  await assert.rejects(orgs.update(as(ids.root), ids.root, { isActive: false }), ForbiddenError);
  await assert.rejects(orgs.update(as(ids.a), ids.a, { isActive: false }), ForbiddenError);
  assert.equal((await orgs.update(as(ids.a), ids.a1, { isActive: false })).isActive, false);
});

test('spec §5.1 move - scope follows the new parent at once', async (t) => {
  const { orgs } = await openTestPlatform(t);
  const ids = await buildTree(orgs);
  const moved = await orgs.update(as(ids.root), ids.a1, { parentOrganizationId: ids.b });
  assert.equal(moved.parentOrganizationId, ids.b);
  assert.equal(orgs.isInScope(ids.a, ids.a1), false);
  assert.equal(orgs.isInScope(ids.a, ids.a11), false);
  assert.equal(orgs.isInScope(ids.b, ids.a11), true);
  assert.deepEqual(orgs.ancestry(ids.a11), [ids.root, ids.b, ids.a1, ids.a11]);
  await assert.rejects(orgs.get(as(ids.a), ids.a1), notFound(ids.a1));
  assert.equal((await orgs.get(as(ids.b), ids.a11)).id, ids.a11);
});

test('spec §5.1 move - refused under itself, outside the scope, past the depth limit, for root or own org', async (t) => {
  const { orgs } = await openTestPlatform(t);
  const ids = await buildTree(orgs);
  const root = as(ids.root);
  await assert.rejects(orgs.update(root, ids.a, { parentOrganizationId: ids.a11 }), ValidationError);
  await assert.rejects(orgs.update(root, ids.a, { parentOrganizationId: ids.a }), ValidationError);
  await assert.rejects(orgs.update(as(ids.a), ids.a1, { parentOrganizationId: ids.b }), notFound(ids.b));
  // a1 (with a11 below) under b1 would reach level 5 > 4.
  await assert.rejects(orgs.update(root, ids.a1, { parentOrganizationId: ids.b1 }), ValidationError);
  await assert.rejects(orgs.update(root, ids.root, { parentOrganizationId: ids.a }), ForbiddenError);
  await assert.rejects(orgs.update(as(ids.a), ids.a, { parentOrganizationId: ids.a1 }), ForbiddenError);
  await orgs.update(root, ids.b1, { type: 'PERSONAL' });
  await orgs.update(root, ids.b, { type: 'PERSONAL', parentOrganizationId: ids.root }); // same parent: no move
  await assert.rejects(
    orgs.update(root, ids.a11, { parentOrganizationId: ids.b }),
    ValidationError,
    'PERSONAL',
  );
  assert.deepEqual(orgs.ancestry(ids.a11), [ids.root, ids.a, ids.a1, ids.a11]);
});

test('spec §5.1 delete - refused for the own org, the root and orgs with sub-orgs', async (t) => {
  const { orgs } = await openTestPlatform(t);
  const ids = await buildTree(orgs);
  await assert.rejects(orgs.delete(as(ids.a), ids.a), ForbiddenError);
  await assert.rejects(orgs.delete(as(ids.root), ids.root), ForbiddenError);
  await assert.rejects(orgs.delete(as(ids.root), ids.a1), ConflictError);
  assert.equal(orgs.subtree(ids.root).length, 6);
});

test('spec §5.1 delete - refused for an org with devices', async (t) => {
  const { orgs, db } = await openOrgsAndOAuth(t);
  const ids = await buildTree(orgs);
  insertDeviceRow(db, ids.b1);
  await assert.rejects(orgs.delete(as(ids.b), ids.b1), {
    name: 'ConflictError',
    message: 'An organization with devices cannot be deleted.',
  });
  assert.equal(orgs.isInScope(ids.b, ids.b1), true);
});

test('spec §5.1 delete - a leaf in scope goes; it leaves every scope and lookups say not found', async (t) => {
  const { orgs } = await openTestPlatform(t);
  const ids = await buildTree(orgs);
  await orgs.delete(as(ids.a), ids.a11);
  assert.equal(orgs.isInScope(ids.a, ids.a11), false);
  assert.equal(orgs.isInScope(ids.a11, ids.a11), false);
  assert.deepEqual(orgs.subtree(ids.a), [ids.a, ids.a1]);
  assert.deepEqual(orgs.ancestry(ids.a11), []);
  await assert.rejects(orgs.get(as(ids.root), ids.a11), notFound(ids.a11));
  await assert.rejects(orgs.delete(as(ids.root), ids.a11), notFound(ids.a11));
  await orgs.delete(as(ids.a), ids.a1); // now a leaf
  assert.deepEqual(orgs.subtree(ids.a), [ids.a]);
});

test('spec §5.1 scope - the tree is loaded from the store at start', async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'devgate-orgs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'platform.sqlite');
  const first = await openTestPlatform(undefined, { file });
  const ids = await buildTree(first.orgs);
  await first.orgs.update(as(ids.root), ids.a1, { parentOrganizationId: ids.b });
  first.close();
  const { orgs } = await openTestPlatform(t, { file });
  assert.equal((await orgs.root())?.id, ids.root);
  assert.deepEqual(orgs.ancestry(ids.a11), [ids.root, ids.b, ids.a1, ids.a11]);
  assert.equal(orgs.isInScope(ids.a, ids.a1), false);
  await assert.rejects(orgs.createRoot({ name: 'Second Root' }), ConflictError);
});

test('spec §5.1 - concurrent changes are applied one at a time (no cycle from two crossing moves)', async (t) => {
  const { orgs } = await openTestPlatform(t, { options: { orgDepthLimit: 10 } });
  const ids = await buildTree(orgs);
  const root = as(ids.root);
  const results = await Promise.allSettled([
    orgs.update(root, ids.a1, { parentOrganizationId: ids.b1 }),
    orgs.update(root, ids.b1, { parentOrganizationId: ids.a11 }),
  ]);
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  for (const id of orgs.subtree(ids.root)) assert.equal(orgs.ancestry(id)[0], ids.root);
});
