import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { type ContractTestOptions, newDevice, type OpenDeviceStores } from './device-store-fixture.js';

/** The AttributeStore contract (src/platform/devices/attribute-store.ts), run once per backend. */
export function describeAttributeStoreContract(
  backend: string,
  open: OpenDeviceStores,
  options: ContractTestOptions = {},
): void {
  const it = (what: string, fn: (t: TestContext) => Promise<void>) =>
    test(`AttributeStore contract (${backend}) - ${what}`, options, fn);

  it('properties are set, replaced and erased per device, datastream and name', async (t) => {
    const f = await open(t);
    const { id } = await f.stores.devices.insert(newDevice(f));
    const { attributes } = f.stores;
    assert.equal(await attributes.setProperty(id, 2, 'label', ['Temp']), true);
    await attributes.setProperty(id, 1, 'labels', ['a', 'b', '']);
    await attributes.setProperty(id, 1, 'color', ['#FF0000']);
    await attributes.setProperty(id, 2, 'label', ['Temperature']);
    assert.deepEqual(await attributes.properties(id), [
      { dataStreamId: 1, name: 'color', values: ['#FF0000'] },
      { dataStreamId: 1, name: 'labels', values: ['a', 'b', ''] },
      { dataStreamId: 2, name: 'label', values: ['Temperature'] },
    ]);
    await attributes.setProperty(id, 1, 'labels', []);
    assert.deepEqual(
      (await attributes.properties(id)).map((p) => p.name),
      ['color', 'label'],
    );
  });

  it('meta values are set and replaced per field, listed by field id', async (t) => {
    const f = await open(t);
    const { id } = await f.stores.devices.insert(newDevice(f));
    const { attributes } = f.stores;
    assert.equal(await attributes.setMetaValue(id, 9, 'nine'), true);
    await attributes.setMetaValue(id, 3, 'three');
    await attributes.setMetaValue(id, 9, 'NINE');
    assert.deepEqual(await attributes.metaValues(id), [
      { metaFieldId: 3, value: 'three' },
      { metaFieldId: 9, value: 'NINE' },
    ]);
  });

  it('writes for an unknown device are false and store nothing', async (t) => {
    const f = await open(t);
    assert.equal(await f.stores.attributes.setProperty(999_999, 1, 'label', ['x']), false);
    assert.equal(await f.stores.attributes.setMetaValue(999_999, 1, 'x'), false);
    assert.deepEqual(await f.stores.attributes.properties(999_999), []);
    assert.deepEqual(await f.stores.attributes.metaValues(999_999), []);
  });

  it('clear and device deletion drop one device’s attributes only', async (t) => {
    const f = await open(t);
    const a = (await f.stores.devices.insert(newDevice(f))).id;
    const b = (await f.stores.devices.insert(newDevice(f))).id;
    const c = (await f.stores.devices.insert(newDevice(f))).id;
    for (const id of [a, b, c]) {
      await f.stores.attributes.setProperty(id, 1, 'label', ['x']);
      await f.stores.attributes.setMetaValue(id, 1, 'x');
    }
    await f.stores.attributes.clear(a);
    await f.stores.devices.delete(b);
    for (const id of [a, b]) {
      assert.deepEqual(await f.stores.attributes.properties(id), []);
      assert.deepEqual(await f.stores.attributes.metaValues(id), []);
    }
    assert.equal((await f.stores.attributes.properties(c)).length, 1);
    assert.equal((await f.stores.attributes.metaValues(c)).length, 1);
  });
}
