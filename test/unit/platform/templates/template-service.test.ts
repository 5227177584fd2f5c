import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '../../../../src/platform/errors.js';
import { openTestPlatform } from '../../../helpers/platform.js';
import { integerStream, templateWorld } from './template-harness.js';

const notFound = (id: number | string) => ({
  name: 'NotFoundError',
  message: `Template with identifier ${id} is not found.`,
});

test('spec §5.2 create: defaults, a generated TMPL id, the caller org, the five built-in metadata fields', async (t) => {
  const { platform, clock, a, as } = await templateWorld(t);
  const created = await platform.templates.create(as(a), { name: 'Thermostat' });
  assert.match(created.templateId, /^TMPL[A-Za-z0-9]{10}$/);
  assert.equal(typeof created.id, 'number');
  assert.deepEqual(
    { ...created, id: 0, templateId: '', metaFields: [] },
    {
      id: 0,
      templateId: '',
      orgId: a.id,
      name: 'Thermostat',
      description: '',
      boardType: '',
      connectionType: '',
      gatewayEnabled: false,
      offlineDelaySec: 60,
      datastreams: [],
      events: [],
      metaFields: [],
      createdAt: clock.now(),
      lastModifiedTs: clock.now(),
    },
  );
  assert.deepEqual(
    created.metaFields.map(({ name, type, builtIn }) => ({ name, type, builtIn })),
    [
      { name: 'Device Name', type: 'DeviceName', builtIn: true },
      { name: 'Device Owner', type: 'DeviceOwner', builtIn: true },
      { name: 'Location', type: 'Location', builtIn: true },
      { name: 'Time Zone', type: 'TimeZone', builtIn: true },
      { name: 'Hotspot Name', type: 'HotspotName', builtIn: true },
    ],
  );
});

test('spec §5.2 create: a given TMPL id is kept; a taken one is a ConflictError', async (t) => {
  const { platform, root, b, as } = await templateWorld(t);
  const created = await platform.templates.create(as(root), { name: 'One', templateId: 'TMPL84aMXD6vd' });
  assert.equal(created.templateId, 'TMPL84aMXD6vd');
  await assert.rejects(platform.templates.create(as(root), { name: 'Two', templateId: 'TMPL84aMXD6vd' }), {
    name: 'ConflictError',
    message: 'Template ID TMPL84aMXD6vd is already in use.',
  });
  // Taken anywhere in the tree, not only in the caller's scope.
  await assert.rejects(
    platform.templates.create(as(b), { name: 'Two', templateId: 'TMPL84aMXD6vd' }),
    ConflictError,
  );
});

test('spec §5.2 create: orgId must be in the caller scope', async (t) => {
  const { platform, a, a1, b, as } = await templateWorld(t);
  const inChild = await platform.templates.create(as(a), { name: 'Child tmpl', orgId: a1.id });
  assert.equal(inChild.orgId, a1.id);
  for (const orgId of [b.id, 999]) {
    await assert.rejects(platform.templates.create(as(a), { name: 'Elsewhere', orgId }), {
      name: 'NotFoundError',
      message: `Organization with identifier ${orgId} is not found.`,
    });
  }
  assert.equal((await platform.templates.list(as(b))).totalElements, 0);
});

test('spec §5.2 get: by numeric id, by TMPL id and by numeric id as text', async (t) => {
  const { platform, a, as } = await templateWorld(t);
  const created = await platform.templates.create(as(a), { name: 'Lookup' });
  assert.deepEqual(await platform.templates.get(as(a), created.id), created);
  assert.deepEqual(await platform.templates.get(as(a), created.templateId), created);
  assert.deepEqual(await platform.templates.get(as(a), String(created.id)), created);
  for (const id of [created.id + 100, 'TMPLnothere01', 'garbage', '']) {
    await assert.rejects(platform.templates.get(as(a), id), notFound(id));
  }
});

test('spec §5.2 visibility: subtree and ancestors are visible; out of scope reads as not found', async (t) => {
  const { platform, root, a, a1, b, as } = await templateWorld(t);
  const ofRoot = await platform.templates.create(as(root), { name: 'Root tmpl' });
  const ofA = await platform.templates.create(as(a), { name: 'A tmpl' });
  const ofA1 = await platform.templates.create(as(a1), { name: 'A1 tmpl' });
  const ofB = await platform.templates.create(as(b), { name: 'B tmpl' });
  const visibleFrom = async (org: typeof root) =>
    (await platform.templates.list(as(org))).content.map((tmpl) => tmpl.name);
  assert.deepEqual(await visibleFrom(root), ['Root tmpl', 'A tmpl', 'A1 tmpl', 'B tmpl']);
  assert.deepEqual(await visibleFrom(a), ['Root tmpl', 'A tmpl', 'A1 tmpl']);
  assert.deepEqual(await visibleFrom(a1), ['Root tmpl', 'A tmpl', 'A1 tmpl']);
  assert.deepEqual(await visibleFrom(b), ['Root tmpl', 'B tmpl']);
  // A sibling's template is missing, with the very message of a missing one.
  await assert.rejects(platform.templates.get(as(a), ofB.id), notFound(ofB.id));
  await assert.rejects(platform.templates.get(as(b), ofA1.templateId), notFound(ofA1.templateId));
  await assert.rejects(platform.templates.update(as(b), ofA.id, { name: 'x' }), notFound(ofA.id));
  await assert.rejects(platform.templates.delete(as(b), ofA.id), notFound(ofA.id));
  assert.equal((await platform.templates.get(as(a1), ofRoot.id)).id, ofRoot.id);
});

test('spec §5.2 inheritance: an ancestor template is read-only; a descendant one is editable', async (t) => {
  const { platform, root, a, a1, as } = await templateWorld(t);
  const ofRoot = await platform.templates.create(as(root), { name: 'Root tmpl' });
  const ofA1 = await platform.templates.create(as(a1), { name: 'A1 tmpl' });
  const readOnly = {
    name: 'ForbiddenError',
    message: `Template with identifier ${ofRoot.id} is inherited from a parent organization and is read-only.`,
  };
  await assert.rejects(platform.templates.update(as(a), ofRoot.id, { name: 'Mine now' }), readOnly);
  await assert.rejects(platform.templates.delete(as(a), ofRoot.id), readOnly);
  await assert.rejects(platform.templates.delete(as(a1), ofRoot.id), ForbiddenError);
  assert.equal(
    (await platform.templates.update(as(a), ofA1.id, { name: 'Edited by A' })).name,
    'Edited by A',
  );
  await platform.templates.delete(as(root), ofA1.id);
  assert.equal(platform.templates.byId(ofA1.id), undefined);
});

test('spec §6.4 list: ordered by id, paged (page 0-based, size 1..1000, default 50)', async (t) => {
  const { platform, root, as } = await templateWorld(t);
  const ids: number[] = [];
  for (let i = 0; i < 55; i++) ids.push((await platform.templates.create(as(root), { name: `T${i}` })).id);
  const first = await platform.templates.list(as(root));
  assert.equal(first.totalElements, 55);
  assert.deepEqual(
    first.content.map((tmpl) => tmpl.id),
    ids.slice(0, 50),
  );
  const third = await platform.templates.list(as(root), { page: 2, size: 20 });
  assert.deepEqual(
    third.content.map((tmpl) => tmpl.id),
    ids.slice(40, 55),
  );
  assert.deepEqual((await platform.templates.list(as(root), { page: 9 })).content, []);
  for (const bad of [{ size: 0 }, { size: 1001 }, { page: -1 }, { page: 1.5 }]) {
    await assert.rejects(platform.templates.list(as(root), bad), ValidationError);
  }
});

test('spec §5.2 update: replaces the given fields, stamps lastModifiedTs, refuses moving org or changing the TMPL id', async (t) => {
  const { platform, clock, root, a, as } = await templateWorld(t);
  const created = await platform.templates.create(as(root), {
    name: 'Before',
    boardType: 'ESP32',
    datastreams: [integerStream('Power', 1)],
  });
  clock.advance(5000);
  const updated = await platform.templates.update(as(root), created.templateId, {
    name: 'After',
    gatewayEnabled: true,
    offlineDelaySec: 0,
    orgId: root.id,
    templateId: created.templateId,
  });
  assert.deepEqual(updated, {
    ...created,
    name: 'After',
    gatewayEnabled: true,
    offlineDelaySec: 0,
    lastModifiedTs: created.createdAt + 5000,
  });
  await assert.rejects(platform.templates.update(as(root), created.id, { orgId: a.id }), {
    name: 'ValidationError',
    message: 'A template cannot be moved to another organization.',
  });
  await assert.rejects(platform.templates.update(as(root), created.id, { templateId: 'TMPLother0001' }), {
    name: 'ValidationError',
    message: 'Template ID cannot be changed.',
  });
  assert.deepEqual(await platform.templates.get(as(root), created.id), updated);
});

test('spec §5.3 full-list update: ids keep identity, so device values survive a rename', async (t) => {
  const { platform, root, as } = await templateWorld(t);
  const created = await platform.templates.create(as(root), {
    name: 'Identity',
    datastreams: [integerStream('Power', 1), integerStream('Mode', 2), integerStream('Gone', 3)],
    events: [{ code: 'overheat' }],
    metaFields: [{ name: 'Serial', type: 'Text' }],
  });
  const [power, mode, gone] = created.datastreams;
  assert.ok(power && mode && gone);
  const { device } = await platform.devices.create(as(root), { templateId: created.id, name: 'Dev 1' });
  await platform.devices.writeValues(device.id, [{ dataStreamId: power.id, value: 42 }]);

  const updated = await platform.templates.update(as(root), created.id, {
    datastreams: [
      { ...mode, name: 'Power', pin: 1 },
      { ...power, name: 'Power Level', pin: 2 },
      integerStream('Added', 7),
    ],
  });
  const [newMode, newPower, added] = updated.datastreams;
  assert.deepEqual(newMode, { ...mode, name: 'Power', pin: 1 });
  assert.deepEqual(newPower, { ...power, name: 'Power Level', pin: 2 });
  assert.ok(added && ![power.id, mode.id, gone.id].includes(added.id));
  assert.deepEqual(updated.events, created.events);
  assert.deepEqual(updated.metaFields, created.metaFields);
  const values = await platform.devices.currentValues(device.id);
  assert.deepEqual(
    values.map((v) => [v.dataStreamId, v.value]),
    [[power.id, 42]],
  );
});

test('spec §5.5 full-list update: built-in metadata fields keep their ids; custom ones follow the list', async (t) => {
  const { platform, root, as } = await templateWorld(t);
  const created = await platform.templates.create(as(root), {
    name: 'Meta',
    metaFields: [
      { name: 'Serial', type: 'Text' },
      { name: 'Floor', type: 'Number' },
    ],
  });
  const builtIns = created.metaFields.filter((f) => f.builtIn);
  const serial = created.metaFields.find((f) => f.name === 'Serial');
  assert.ok(serial);
  // A template read back and sent again carries its built-ins: they are recognised, not refused.
  const updated = await platform.templates.update(as(root), created.id, {
    metaFields: [...builtIns, { ...serial, name: 'Serial Number' }, { name: 'Room', type: 'Text' }],
  });
  assert.deepEqual(updated.metaFields.slice(0, 5), builtIns);
  assert.deepEqual(updated.metaFields[5], { ...serial, name: 'Serial Number' });
  assert.equal(updated.metaFields[6]?.name, 'Room');
  assert.equal(updated.metaFields.length, 7);
  const emptied = await platform.templates.update(as(root), created.id, { metaFields: [] });
  assert.deepEqual(emptied.metaFields, builtIns);
});

test('spec §5.2 full-list update: an id of another template is refused', async (t) => {
  const { platform, root, as } = await templateWorld(t);
  const one = await platform.templates.create(as(root), {
    name: 'One',
    datastreams: [integerStream('P', 1)],
  });
  const two = await platform.templates.create(as(root), { name: 'Two', events: [{ code: 'x' }] });
  const foreign = one.datastreams[0];
  assert.ok(foreign);
  await assert.rejects(platform.templates.update(as(root), two.id, { datastreams: [foreign] }), {
    name: 'ValidationError',
    message: `Datastream id ${foreign.id} does not belong to this template.`,
  });
  await assert.rejects(
    platform.templates.update(as(root), one.id, { events: [{ id: two.events[0]?.id, code: 'y' }] }),
    {
      name: 'ValidationError',
      message: `Event id ${two.events[0]?.id} does not belong to this template.`,
    },
  );
});

test('spec §5.2 create ignores child ids, so a template read back can be copied', async (t) => {
  const { platform, root, as } = await templateWorld(t);
  const original = await platform.templates.create(as(root), {
    name: 'Original',
    datastreams: [integerStream('P', 1)],
    events: [{ code: 'e' }],
    metaFields: [{ name: 'Serial', type: 'Text' }],
  });
  const { id: _id, templateId: _tmpl, ...body } = original;
  const copy = await platform.templates.create(as(root), { ...body, name: 'Copy' });
  assert.notEqual(copy.datastreams[0]?.id, original.datastreams[0]?.id);
  assert.equal(copy.metaFields.length, 6);
  assert.deepEqual(await platform.templates.get(as(root), original.id), original);
});

test('spec §5.2 delete: refused while devices use the template, then allowed', async (t) => {
  const { platform, root, as } = await templateWorld(t);
  const created = await platform.templates.create(as(root), { name: 'Used' });
  const { device } = await platform.devices.create(as(root), {
    templateId: created.templateId,
    name: 'Dev 1',
  });
  await assert.rejects(platform.templates.delete(as(root), created.id), {
    name: 'ConflictError',
    message: `Template with identifier ${created.id} is used by devices and cannot be deleted.`,
  });
  assert.ok(platform.templates.byId(created.id));
  await platform.devices.delete(as(root), device.id);
  await platform.templates.delete(as(root), created.templateId);
  await assert.rejects(platform.templates.get(as(root), created.id), NotFoundError);
  await assert.rejects(platform.templates.delete(as(root), created.id), notFound(created.id));
});

test('spec §5.2 byId/byTemplateId: the cache follows create, update and delete; entries are frozen', async (t) => {
  const { platform, root, as } = await templateWorld(t);
  assert.equal(platform.templates.byId(1), undefined);
  const created = await platform.templates.create(as(root), { name: 'Cached' });
  assert.equal(platform.templates.byId(created.id), created);
  assert.equal(platform.templates.byTemplateId(created.templateId), created);
  const updated = await platform.templates.update(as(root), created.id, {
    datastreams: [integerStream('P', 1)],
  });
  assert.equal(platform.templates.byId(created.id), updated);
  assert.equal(platform.templates.byTemplateId(created.templateId)?.datastreams.length, 1);
  assert.ok(
    Object.isFrozen(updated) &&
      Object.isFrozen(updated.datastreams) &&
      Object.isFrozen(updated.datastreams[0]),
  );
  await platform.templates.delete(as(root), created.id);
  assert.equal(platform.templates.byId(created.id), undefined);
  assert.equal(platform.templates.byTemplateId(created.templateId), undefined);
});

test('spec §5.2 the cache is loaded from the database when the platform opens', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'devgate-templates-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'platform.sqlite');
  const first = await templateWorld(t, { file });
  const created = await first.platform.templates.create(first.as(first.a), {
    name: 'Persisted',
    datastreams: [integerStream('P', 1, { min: 0, max: 10, defaultValue: 5 })],
  });
  first.platform.close();
  const again = await openTestPlatform(t, { file });
  assert.deepEqual(again.templates.byTemplateId(created.templateId), created);
  assert.deepEqual(await again.templates.get(first.as(first.a1), created.id), created);
});

test('spec §5.2 concurrent creates with one TMPL id: exactly one wins', async (t) => {
  const { platform, root, as } = await templateWorld(t);
  const results = await Promise.allSettled(
    [1, 2, 3].map((i) =>
      platform.templates.create(as(root), { name: `Racer ${i}`, templateId: 'TMPLrace0001' }),
    ),
  );
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'rejected'],
  );
});
