import assert from 'node:assert/strict';
import { type TestContext, type TestOptions, test } from 'node:test';
import { ConflictError } from '../../src/platform/errors.js';
import type { Template } from '../../src/platform/model.js';
import type {
  DatastreamDraft,
  MetaFieldDraft,
  NewTemplate,
  TemplateEventDraft,
  TemplateStore,
} from '../../src/platform/templates/template-store.js';

/** What a backend harness provides: a store on an empty schema with two organizations in it. */
export interface TemplateStoreFixture {
  readonly store: TemplateStore;
  readonly orgIds: readonly [number, number];
  /** Makes a device use the template, so that deleting it must be refused. */
  addDevice(templateId: number): Promise<void>;
}

const T0 = 1_700_000_000_000;

export const fullDatastream: DatastreamDraft = {
  name: 'Set Temperature',
  alias: 'Setpoint',
  pin: 3,
  type: 'Double',
  min: -20.5,
  max: 40,
  defaultValue: 21.5,
  units: '°C',
  decimals: 1,
  isSync: true,
  isRaw: true,
};
const enumDatastream: DatastreamDraft = {
  name: 'Mode',
  pin: 4,
  type: 'Enum',
  isSync: false,
  isRaw: false,
  enumValues: [
    { value: 0, label: 'Off' },
    { value: 7, label: 'Eco' },
  ],
  enumFallback: 7,
  defaultValue: 0,
};
const bareDatastream = (name: string, pin: number): DatastreamDraft => ({
  name,
  pin,
  type: 'Integer',
  isSync: false,
  isRaw: false,
});
const event = (code: string): TemplateEventDraft => ({
  code,
  name: code,
  type: 'WARNING',
  description: `about ${code}`,
});
const builtIn: MetaFieldDraft = { name: 'Device Name', type: 'DeviceName', builtIn: true };
const listField: MetaFieldDraft = {
  name: 'Colour',
  type: 'List',
  builtIn: false,
  options: ['red', 'green'],
  defaultValue: 'red',
};
const numberField: MetaFieldDraft = { name: 'Floor', type: 'Number', builtIn: false, min: 0, max: 99 };

/** Strips the ids a store assigned, to compare with drafts. */
const withoutIds = <T extends { id?: number }>(items: readonly T[]) =>
  items.map(({ id: _id, ...rest }) => rest);
const idsOf = (items: ReadonlyArray<{ id: number }>) => items.map((i) => i.id);

/** The TemplateStore contract (src/platform/templates/template-store.ts), run once per backend. */
export function describeTemplateStoreContract(
  backend: string,
  open: (t: TestContext) => Promise<TemplateStoreFixture>,
  options: TestOptions = {},
): void {
  const it = (what: string, fn: (t: TestContext) => Promise<void>) =>
    test(`TemplateStore contract (${backend}) - ${what}`, options, fn);

  const draft = (orgId: number, templateId: string, extra: Partial<NewTemplate> = {}): NewTemplate => ({
    templateId,
    orgId,
    name: `Template ${templateId}`,
    description: 'a template',
    boardType: 'ESP32',
    connectionType: 'WI_FI',
    gatewayEnabled: true,
    offlineDelaySec: 90,
    datastreams: [fullDatastream, enumDatastream, bareDatastream('Power', 0)],
    events: [event('overheat'), event('door_open')],
    metaFields: [builtIn, listField, numberField],
    ...extra,
  });

  it('insert round-trips every field and keeps the children in the given order', async (t) => {
    const { store, orgIds } = await open(t);
    const created = await store.insert(draft(orgIds[0], 'TMPLabcdefgh'), T0);
    assert.equal(typeof created.id, 'number');
    assert.deepEqual(
      { ...created, id: 0, datastreams: [], events: [], metaFields: [] },
      {
        id: 0,
        templateId: 'TMPLabcdefgh',
        orgId: orgIds[0],
        name: 'Template TMPLabcdefgh',
        description: 'a template',
        boardType: 'ESP32',
        connectionType: 'WI_FI',
        gatewayEnabled: true,
        offlineDelaySec: 90,
        datastreams: [],
        events: [],
        metaFields: [],
        createdAt: T0,
        lastModifiedTs: T0,
      },
    );
    assert.deepEqual(withoutIds(created.datastreams), [
      fullDatastream,
      enumDatastream,
      bareDatastream('Power', 0),
    ]);
    assert.deepEqual(withoutIds(created.events), [event('overheat'), event('door_open')]);
    assert.deepEqual(withoutIds(created.metaFields), [builtIn, listField, numberField]);
    assert.deepEqual(await store.get(created.id), created);
  });

  it('keeps absent optional fields absent', async (t) => {
    const { store, orgIds } = await open(t);
    const created = await store.insert(draft(orgIds[0], 'TMPLbare0001', { metaFields: [builtIn] }), T0);
    const bare = created.datastreams[2];
    assert.ok(bare);
    for (const key of [
      'alias',
      'min',
      'max',
      'defaultValue',
      'units',
      'decimals',
      'enumValues',
      'enumFallback',
    ]) {
      assert.equal(key in bare, false, key);
    }
    const field = created.metaFields[0];
    assert.ok(field && !('defaultValue' in field) && !('options' in field) && !('min' in field));
  });

  it('round-trips default values of every shape', async (t) => {
    const { store, orgIds } = await open(t);
    const values = [[30.5, -10.25] as const, true, false, 'text with , and "quotes"', -2147483648, 0.1];
    const datastreams = values.map((defaultValue, pin) => ({
      ...bareDatastream(`D${pin}`, pin),
      defaultValue,
    }));
    const created = await store.insert(draft(orgIds[0], 'TMPLdefaults', { datastreams }), T0);
    assert.deepEqual(
      created.datastreams.map((d) => d.defaultValue),
      values,
    );
  });

  it('get of an unknown id is undefined; loadAll returns every template by id with its own children', async (t) => {
    const { store, orgIds } = await open(t);
    assert.equal(await store.get(12345), undefined);
    assert.deepEqual(await store.loadAll(), []);
    const a = await store.insert(draft(orgIds[0], 'TMPLaaaaaaaa'), T0);
    const b = await store.insert(draft(orgIds[1], 'TMPLbbbbbbbb', { datastreams: [], events: [] }), T0 + 1);
    assert.ok(b.id > a.id);
    assert.deepEqual(await store.loadAll(), [a, b]);
  });

  it('a taken templateId is a ConflictError and inserts nothing', async (t) => {
    const { store, orgIds } = await open(t);
    await store.insert(draft(orgIds[0], 'TMPLtaken001'), T0);
    await assert.rejects(store.insert(draft(orgIds[1], 'TMPLtaken001'), T0), ConflictError);
    assert.equal((await store.loadAll()).length, 1);
  });

  it('insert ignores ids in the drafts', async (t) => {
    const { store, orgIds } = await open(t);
    const a = await store.insert(draft(orgIds[0], 'TMPLfirst001'), T0);
    const copy = draft(orgIds[0], 'TMPLcopy0001', { datastreams: a.datastreams, events: a.events });
    const b = await store.insert(copy, T0);
    assert.equal(new Set([...idsOf(a.datastreams), ...idsOf(b.datastreams)]).size, 6);
    assert.deepEqual(await store.get(a.id), a);
  });

  it('update replaces the given fields only and stamps lastModifiedTs', async (t) => {
    const { store, orgIds } = await open(t);
    const created = await store.insert(draft(orgIds[0], 'TMPLupdate01'), T0);
    const updated = await store.update(
      created.id,
      { name: 'Renamed', gatewayEnabled: false, offlineDelaySec: 0 },
      {},
      T0 + 5,
    );
    assert.deepEqual(updated, {
      ...created,
      name: 'Renamed',
      gatewayEnabled: false,
      offlineDelaySec: 0,
      lastModifiedTs: T0 + 5,
    });
    assert.deepEqual(await store.get(created.id), updated);
  });

  it('update of an unknown template is undefined', async (t) => {
    const { store } = await open(t);
    assert.equal(await store.update(999, { name: 'x' }, { datastreams: [] }, T0), undefined);
  });

  it('a full-list update keeps identity by id, inserts new items, deletes the missing, follows the order', async (t) => {
    const { store, orgIds } = await open(t);
    const created = await store.insert(draft(orgIds[0], 'TMPLlists001'), T0);
    const [temp, mode, power] = created.datastreams;
    assert.ok(temp && mode && power);
    const renamed = { ...temp, name: 'Target', pin: 9 };
    const updated = await store.update(
      created.id,
      {},
      { datastreams: [bareDatastream('New', 1), renamed, power] },
      T0 + 1,
    );
    assert.ok(updated);
    const [added, ...kept] = updated.datastreams;
    assert.deepEqual(kept, [renamed, power]);
    assert.ok(added && added.id > Math.max(...idsOf(created.datastreams)));
    assert.deepEqual(withoutIds([added]), [bareDatastream('New', 1)]);
    assert.deepEqual(updated.events, created.events);
    assert.deepEqual(updated.metaFields, created.metaFields);
  });

  it('a full-list update may swap names and pins between kept datastreams', async (t) => {
    const { store, orgIds } = await open(t);
    const created = await store.insert(draft(orgIds[0], 'TMPLswap0001'), T0);
    const [a, b] = created.datastreams;
    assert.ok(a && b);
    const swapped = [
      { ...a, name: b.name, pin: b.pin },
      { ...b, name: a.name, pin: a.pin },
    ];
    const updated = await store.update(created.id, {}, { datastreams: swapped }, T0);
    assert.deepEqual(updated?.datastreams, swapped);
  });

  it('ids are never reused, even after the newest item is deleted', async (t) => {
    const { store, orgIds } = await open(t);
    const created = await store.insert(draft(orgIds[0], 'TMPLreuse001'), T0);
    const newest = Math.max(...idsOf(created.datastreams));
    await store.update(
      created.id,
      {},
      { datastreams: created.datastreams.filter((d) => d.id !== newest) },
      T0,
    );
    const updated = await store.update(created.id, {}, { datastreams: [bareDatastream('Fresh', 200)] }, T0);
    assert.ok((updated?.datastreams[0]?.id ?? 0) > newest);
  });

  it('an id of another template is not taken over: the item is inserted as new', async (t) => {
    const { store, orgIds } = await open(t);
    const a = await store.insert(draft(orgIds[0], 'TMPLownerA01'), T0);
    const b = await store.insert(draft(orgIds[0], 'TMPLownerB01', { datastreams: [] }), T0);
    const foreign = a.datastreams[0];
    assert.ok(foreign);
    const updated = await store.update(b.id, {}, { datastreams: [foreign] }, T0);
    assert.notEqual(updated?.datastreams[0]?.id, foreign.id);
    assert.deepEqual(await store.get(a.id), a);
  });

  it('events and metadata fields are replaced by the same rules', async (t) => {
    const { store, orgIds } = await open(t);
    const created = await store.insert(draft(orgIds[0], 'TMPLchild001'), T0);
    const [overheat] = created.events;
    const [name, , floor] = created.metaFields;
    assert.ok(overheat && name && floor);
    const updated = await store.update(
      created.id,
      {},
      {
        events: [event('new_one'), { ...overheat, description: 'changed' }],
        metaFields: [name, { ...floor, max: 10 }],
      },
      T0,
    );
    assert.ok(updated);
    assert.deepEqual(updated.events[1], { ...overheat, description: 'changed' });
    assert.deepEqual(withoutIds(updated.events.slice(0, 1)), [event('new_one')]);
    assert.deepEqual(updated.metaFields, [name, { ...floor, max: 10 }]);
    assert.deepEqual(updated.datastreams, created.datastreams);
  });

  it('update to a taken templateId is a ConflictError and changes nothing', async (t) => {
    const { store, orgIds } = await open(t);
    await store.insert(draft(orgIds[0], 'TMPLfirst002'), T0);
    const b = await store.insert(draft(orgIds[0], 'TMPLsecond02'), T0);
    await assert.rejects(
      store.update(b.id, { templateId: 'TMPLfirst002', name: 'x' }, { datastreams: [] }, T0),
      ConflictError,
    );
    assert.deepEqual(await store.get(b.id), b);
  });

  it('delete removes the template and its children; a second delete is not-found', async (t) => {
    const { store, orgIds } = await open(t);
    const a = await store.insert(draft(orgIds[0], 'TMPLdelete01'), T0);
    const b = await store.insert(draft(orgIds[1], 'TMPLkeep0001'), T0);
    assert.equal(await store.delete(a.id), 'deleted');
    assert.equal(await store.get(a.id), undefined);
    assert.deepEqual(await store.loadAll(), [b]);
    assert.equal(await store.delete(a.id), 'not-found');
  });

  it('delete is refused while a device uses the template', async (t) => {
    const { store, orgIds, addDevice } = await open(t);
    const a: Template = await store.insert(draft(orgIds[0], 'TMPLinuse001'), T0);
    await addDevice(a.id);
    assert.equal(await store.delete(a.id), 'in-use');
    assert.deepEqual(await store.get(a.id), a);
  });
}
