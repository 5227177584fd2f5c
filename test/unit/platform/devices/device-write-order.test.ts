import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DeviceWriteOrder } from '../../../../src/platform/devices/device-write-order.js';

/** A write that ends when the test says, and logs when it starts. */
function gatedWrite(log: string[], name: string, fail = false) {
  let end = (): void => {};
  const ended = new Promise<void>((resolve) => {
    end = resolve;
  });
  const write = async (): Promise<string> => {
    log.push(`start ${name}`);
    await ended;
    if (fail) throw new Error(`${name} failed`);
    return name;
  };
  return { write, end };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('device row writes in step (spec §9: the cache holds the newest committed row)', () => {
  test('spec §9 a write of a device starts only when the earlier writes of that device ended', async () => {
    const order = new DeviceWriteOrder();
    const log: string[] = [];
    const batch = gatedWrite(log, 'batch 1+2');
    const one = gatedWrite(log, 'device 1');
    const three = gatedWrite(log, 'device 3');
    const batchDone = order.run([1, 2], batch.write);
    const oneDone = order.run([1], one.write);
    const threeDone = order.run([3], three.write);
    await turn();
    assert.deepEqual(log, ['start batch 1+2', 'start device 3'], 'device 3 does not wait for 1 and 2');
    batch.end();
    assert.equal(await batchDone, 'batch 1+2');
    await turn();
    assert.deepEqual(log.slice(2), ['start device 1']);
    one.end();
    three.end();
    assert.deepEqual(await Promise.all([oneDone, threeDone]), ['device 1', 'device 3']);
  });

  test('spec §9 a failed write passes its error to its caller and lets the next write of the device run', async () => {
    const order = new DeviceWriteOrder();
    const log: string[] = [];
    const failing = gatedWrite(log, 'failing', true);
    const next = gatedWrite(log, 'next');
    const failed = order.run([5], failing.write);
    const nextDone = order.run([5, 6], next.write);
    failing.end();
    await assert.rejects(failed, /failing failed/);
    next.end();
    assert.equal(await nextDone, 'next');
    assert.deepEqual(log, ['start failing', 'start next']);
    const later = gatedWrite(log, 'later');
    const laterDone = order.run([5], later.write);
    await turn();
    assert.deepEqual(log.slice(2), ['start later']);
    later.end();
    assert.equal(await laterDone, 'later');
  });
});
