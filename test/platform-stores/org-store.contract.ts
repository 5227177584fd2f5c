import assert from 'node:assert/strict';
import { type TestContext, type TestOptions, test } from 'node:test';
import { ConflictError } from '../../src/platform/errors.js';
import type { Organization } from '../../src/platform/model.js';
import type { NewOrganization, OrgStore } from '../../src/platform/orgs/org-store.js';

/** What a backend runner hands the suite; `open` registers its own cleanup on `t`. */
export interface OrgStoreHarness {
  readonly store: OrgStore;
  /** Puts one device (and whatever it needs) into the org, outside the OrgStore interface. */
  addDevice(orgId: number): Promise<void>;
}

export type OpenOrgStore = (t: TestContext) => Promise<OrgStoreHarness>;

const T0 = 1_700_000_000_000;

export function newOrg(overrides: Partial<NewOrganization> = {}): NewOrganization {
  return {
    name: 'Acme',
    description: '',
    type: 'BUSINESS',
    parentOrganizationId: null,
    isActive: true,
    tz: 'UTC',
    unitSystem: 'METRIC',
    createdAt: T0,
    lastModifiedTs: T0,
    ...overrides,
  };
}

const fullOrg = (parent: number): NewOrganization =>
  newOrg({
    name: "Élan O'Neil-Co. 2",
    description: 'Ünïcode 🙂 and "quotes"',
    type: 'RESELLER',
    parentOrganizationId: parent,
    isActive: false,
    tz: 'America/Argentina/Buenos_Aires',
    unitSystem: 'IMPERIAL',
    phoneNumber: '+380 44 123-45-67',
    address: { fullAddress: '1 Main St', city: 'Kyiv', country: 'UA', state: 'K', zip: '01001' },
    homeRegionUrl: 'https://eu.example.com',
    createdAt: T0 + 1,
    lastModifiedTs: T0 + 2,
  });

/** Builds root → a → a1 and root → b; returns the stored orgs. */
async function smallTree(store: OrgStore) {
  const root = await store.insert(newOrg({ name: 'Root', type: 'ROOT' }));
  const a = await store.insert(newOrg({ name: 'Alpha', parentOrganizationId: root.id }));
  const a1 = await store.insert(newOrg({ name: 'alpha one', parentOrganizationId: a.id }));
  const b = await store.insert(newOrg({ name: 'Beta', parentOrganizationId: root.id }));
  return { root, a, a1, b };
}

/** The OrgStore contract (src/platform/orgs/org-store.ts), run once per backend. */
export function describeOrgStoreContract(
  backend: string,
  open: OpenOrgStore,
  options: TestOptions = {},
): void {
  const it = (what: string, fn: (t: TestContext) => Promise<void>) =>
    test(`OrgStore contract (${backend}) - ${what}`, options, fn);

  it('insert returns the stored org; get round-trips every field', async (t) => {
    const { store } = await open(t);
    const root = await store.insert(newOrg({ type: 'ROOT' }));
    const full = await store.insert(fullOrg(root.id));
    assert.deepEqual(full, { id: full.id, ...fullOrg(root.id) });
    assert.deepEqual(await store.get(full.id), full);
    assert.deepEqual(await store.get(root.id), { id: root.id, ...newOrg({ type: 'ROOT' }) });
  });

  it('absent optional fields stay absent', async (t) => {
    const { store } = await open(t);
    const org = (await store.get((await store.insert(newOrg())).id)) as Organization;
    for (const key of ['phoneNumber', 'address', 'homeRegionUrl']) assert.ok(!(key in org), key);
  });

  it('get of an unknown id is undefined', async (t) => {
    const { store } = await open(t);
    assert.equal(await store.get(12345), undefined);
  });

  it('a second root is refused with ConflictError', async (t) => {
    const { store } = await open(t);
    await store.insert(newOrg({ type: 'ROOT' }));
    await assert.rejects(store.insert(newOrg({ name: 'Other', type: 'ROOT' })), ConflictError);
  });

  it('ids are distinct and never reused after a delete', async (t) => {
    const { store } = await open(t);
    const { root, b } = await smallTree(store);
    assert.equal(await store.delete(b.id), true);
    const next = await store.insert(newOrg({ parentOrganizationId: root.id }));
    assert.ok(next.id > b.id);
  });

  it('loadNodes lists every org with its parent and type', async (t) => {
    const { store } = await open(t);
    const { root, a, a1, b } = await smallTree(store);
    const nodes = (await store.loadNodes()).sort((x, y) => x.id - y.id);
    assert.deepEqual(nodes, [
      { id: root.id, parentOrganizationId: null, type: 'ROOT' },
      { id: a.id, parentOrganizationId: root.id, type: 'BUSINESS' },
      { id: a1.id, parentOrganizationId: a.id, type: 'BUSINESS' },
      { id: b.id, parentOrganizationId: root.id, type: 'BUSINESS' },
    ]);
  });

  it('replace stores every field, including a new parent and cleared optionals', async (t) => {
    const { store } = await open(t);
    const { a, b } = await smallTree(store);
    const full = await store.insert(fullOrg(a.id));
    const { phoneNumber: _p, address: _a, homeRegionUrl: _h, ...rest } = full;
    const next: Organization = {
      ...rest,
      name: 'Renamed',
      parentOrganizationId: b.id,
      lastModifiedTs: T0 + 9,
    };
    assert.deepEqual(await store.replace(next), next);
    assert.deepEqual(await store.get(full.id), next);
    const node = (await store.loadNodes()).find((n) => n.id === full.id);
    assert.equal(node?.parentOrganizationId, b.id);
  });

  it('replace of an unknown id is undefined and stores nothing', async (t) => {
    const { store } = await open(t);
    const { root } = await smallTree(store);
    assert.equal(await store.replace({ ...root, id: 999 }), undefined);
    assert.equal(await store.get(999), undefined);
  });

  it('delete removes one org; deleting again or an unknown id is false', async (t) => {
    const { store } = await open(t);
    const { a1 } = await smallTree(store);
    assert.equal(await store.delete(a1.id), true);
    assert.equal(await store.get(a1.id), undefined);
    assert.equal(await store.delete(a1.id), false);
    assert.equal((await store.loadNodes()).length, 3);
  });

  it('delete refuses an org that still has sub-organizations', async (t) => {
    const { store } = await open(t);
    const { a } = await smallTree(store);
    await assert.rejects(store.delete(a.id), ConflictError);
    assert.ok(await store.get(a.id));
  });

  it('list returns only the given ids, ordered by id, one page at a time', async (t) => {
    const { store } = await open(t);
    const { root, a, a1, b } = await smallTree(store);
    const ids = [b.id, a1.id, a.id];
    const all = await store.list({ ids, offset: 0, limit: 10 });
    assert.deepEqual(
      all.content.map((o) => o.id),
      [a.id, a1.id, b.id],
    );
    assert.equal(all.totalElements, 3);
    const second = await store.list({ ids, offset: 2, limit: 2 });
    assert.deepEqual(
      second.content.map((o) => o.id),
      [b.id],
    );
    assert.equal(second.totalElements, 3);
    assert.deepEqual(await store.list({ ids, offset: 10, limit: 2 }), { content: [], totalElements: 3 });
    assert.deepEqual(await store.list({ ids: [], offset: 0, limit: 10 }), { content: [], totalElements: 0 });
    assert.deepEqual((await store.list({ ids: [root.id], offset: 0, limit: 1 })).content, [root]);
  });

  it('list with nameContains matches a case-insensitive substring, also beyond ASCII', async (t) => {
    const { store } = await open(t);
    const { root, a, a1 } = await smallTree(store);
    const e = await store.insert(newOrg({ name: 'ÉCOLE Kyiv', parentOrganizationId: root.id }));
    const ids = (await store.loadNodes()).map((n) => n.id);
    const names = async (q: string) =>
      (await store.list({ ids, nameContains: q, offset: 0, limit: 10 })).content.map((o) => o.id);
    assert.deepEqual(await names('ALPHA'), [a.id, a1.id]);
    assert.deepEqual(await names('école'), [e.id]);
    assert.deepEqual(await names('%'), []);
    assert.deepEqual(await names('_'), []);
    const page = await store.list({ ids: [a1.id], nameContains: 'alpha', offset: 0, limit: 10 });
    assert.deepEqual(page.totalElements, 1);
  });

  it('hasDevices is false for an org without devices and true once one is added', async (t) => {
    const { store, addDevice } = await open(t);
    const { a, b } = await smallTree(store);
    assert.equal(await store.hasDevices(a.id), false);
    await addDevice(a.id);
    assert.equal(await store.hasDevices(a.id), true);
    assert.equal(await store.hasDevices(b.id), false);
    assert.equal(await store.hasDevices(4242), false);
  });

  it('delete refuses an org that still has devices', async (t) => {
    const { store, addDevice } = await open(t);
    const { b } = await smallTree(store);
    await addDevice(b.id);
    await assert.rejects(store.delete(b.id), ConflictError);
  });
}
