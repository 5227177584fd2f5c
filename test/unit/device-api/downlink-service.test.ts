import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Broker } from '../../../src/broker/broker.js';
import type { BrokerMessage } from '../../../src/broker/message.js';
import { createDownlinkService, PING_TIMEOUT_MS } from '../../../src/device-api/downlink-service.js';
import { DeviceApiMetrics } from '../../../src/observability/device-api-metrics.js';
import { FakeClock } from '../../helpers/fake-clock.js';

/** The parts of the broker the downlink service uses, recording what it was given. */
function fakeBroker(clock: FakeClock) {
  const published: BrokerMessage[] = [];
  const delivered: Array<{ key: string; message: BrokerMessage }> = [];
  const unsolicited: Array<{ key: string; message: BrokerMessage }> = [];
  const askedElsewhere: Array<{ key: string; message: BrokerMessage }> = [];
  const broker = {
    deliverUnsolicited: (key: string, message: BrokerMessage) => unsolicited.push({ key, message }),
    clock,
    publish: (message: BrokerMessage) => published.push(message),
    deliverTo: (key: string, message: BrokerMessage) => {
      delivered.push({ key, message });
      return true;
    },
    isConnected: (key: string) => key === 'device:7',
    // A cluster where device 9 is connected to another node, which answers in 5 ms.
    pingElsewhere: async (key: string, message: BrokerMessage) => {
      askedElsewhere.push({ key, message });
      return key === 'device:9' ? 5 : undefined;
    },
  } as unknown as Broker;
  return { broker, published, delivered, unsolicited, askedElsewhere };
}

test('spec §3.1 downlinks: QoS ≤ 1, never retained, under $dev/{id}/', () => {
  const clock = new FakeClock();
  const { broker, published } = fakeBroker(clock);
  const service = createDownlinkService({ broker, clock, metrics: new DeviceApiMetrics() });
  service.publish(7, 'downlink/ds/Power', '1');
  service.publish(7, 'downlink/reboot', '', 0);
  assert.deepEqual(
    published.map((m) => [m.topic, m.payload.toString(), m.qos, m.retain]),
    [
      ['$dev/7/downlink/ds/Power', '1', 1, false],
      ['$dev/7/downlink/reboot', '', 0, false],
    ],
  );
});

test('spec §3.1 unsolicited: handed to the device session at QoS 0 (the broker skips it when subscribed), and published for gateways', () => {
  const clock = new FakeClock();
  const { broker, unsolicited, published } = fakeBroker(clock);
  createDownlinkService({ broker, clock, metrics: new DeviceApiMetrics() }).unsolicited(
    7,
    'downlink/diag',
    'x',
  );
  assert.deepEqual(
    unsolicited.map(({ key, message }) => [key, message.topic, message.qos]),
    [['device:7', '$dev/7/downlink/diag', 0]],
  );
  assert.deepEqual(
    published.map((m) => [m.topic, m.qos]),
    [['$dev/7/downlink/diag', 0]],
  );
});

test('spec §3.3 ping: QoS 1, RTT from the PUBACK; timeout and offline give undefined', async () => {
  const clock = new FakeClock(0);
  const { broker, delivered } = fakeBroker(clock);
  const service = createDownlinkService({ broker, clock, metrics: new DeviceApiMetrics() });
  const answered = service.ping(7);
  const ping = delivered[0]?.message;
  assert.deepEqual([ping?.topic, ping?.qos], ['$dev/7/downlink/ping', 1]);
  ping?.onAcknowledged?.(42);
  assert.equal(await answered, 42);
  const silent = service.ping(7);
  clock.advance(PING_TIMEOUT_MS);
  assert.equal(await silent, undefined);
  assert.equal(await service.ping(8), undefined);
  const pending = service.ping(7);
  service.close();
  assert.equal(await pending, undefined);
  assert.equal(clock.pending, 0);
});

test('spec §3.3 ping in a cluster: a device not connected here is pinged on the node holding it, same message', async () => {
  const clock = new FakeClock(0);
  const { broker, delivered, askedElsewhere } = fakeBroker(clock);
  const service = createDownlinkService({ broker, clock, metrics: new DeviceApiMetrics() });
  assert.equal(await service.ping(9), 5);
  assert.equal(await service.ping(8), undefined);
  assert.deepEqual(
    askedElsewhere.map(({ key, message }) => [key, message.topic, message.qos, message.payload.length]),
    [
      ['device:9', '$dev/9/downlink/ping', 1, 0],
      ['device:8', '$dev/8/downlink/ping', 1, 0],
    ],
  );
  assert.equal(delivered.length, 0);
  assert.equal(clock.pending, 0);
});
