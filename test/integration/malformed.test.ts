import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { frame, mqttString } from '../helpers/frames.js';
import { connackCode } from '../helpers/mqtt-client.js';
import {
  connectBytes,
  propertiesBlock,
  publishBytes,
  subscribeBytes,
  unsubscribeBytes,
} from '../helpers/packets.js';
import { RawClient } from '../helpers/raw-client.js';
import { startServer } from '../helpers/start-server.js';

type Version = 4 | 5;

/** A bad packet sent after a successful CONNECT; v5 must answer DISCONNECT with one of `v5`. */
interface AfterConnect {
  readonly name: string;
  readonly versions?: readonly Version[];
  readonly bytes: (v: Version) => Buffer | string;
  readonly v5: readonly number[];
}

const MALFORMED = 0x81;
const PROTOCOL = 0x82;

const afterConnect: readonly AfterConnect[] = [
  {
    name: '[MQTT-3.3.1-4] PUBLISH with QoS 3',
    bytes: (v) => publishBytes({ version: v, topic: 'a', qos: 3, id: 1 }),
    v5: [MALFORMED],
  },
  {
    name: '[MQTT-3.8.1-1] SUBSCRIBE with fixed header flags 0000',
    bytes: (v) => subscribeBytes(v, 1, [['a', 0]], { firstByte: 0x80 }),
    v5: [MALFORMED],
  },
  {
    name: '[MQTT-3.10.1-1] UNSUBSCRIBE with fixed header flags 0000',
    bytes: (v) => unsubscribeBytes(v, 1, ['a'], 0xa0),
    v5: [MALFORMED],
  },
  { name: '[MQTT-3.6.1-1] PUBREL with fixed header flags 0000', bytes: () => '60 02 00 01', v5: [MALFORMED] },
  {
    name: '[MQTT-2.2.2-2 (3.1.1) / MQTT-2.1.3-1] PINGREQ with flags set',
    bytes: () => 'c1 00',
    v5: [MALFORMED],
  },
  {
    name: '[MQTT-1.5.3-1 (3.1.1) / MQTT-1.5.4-1] ill-formed UTF-8 in a topic',
    bytes: (v) => publishBytes({ version: v, topic: Buffer.from([0x61, 0xc3, 0x28]) }),
    v5: [MALFORMED],
  },
  {
    name: '[MQTT-1.5.4-1] UTF-16 surrogate encoded in a topic',
    bytes: (v) => publishBytes({ version: v, topic: Buffer.from([0x61, 0xed, 0xa0, 0x80]) }),
    v5: [MALFORMED],
  },
  {
    name: '[MQTT-1.5.3-2 (3.1.1) / MQTT-1.5.4-2] U+0000 in a topic',
    bytes: (v) => publishBytes({ version: v, topic: Buffer.from([0x61, 0x00, 0x62]) }),
    v5: [MALFORMED],
  },
  {
    name: '[MQTT-3.3.2-2] + wildcard in a PUBLISH topic',
    bytes: (v) => publishBytes({ version: v, topic: 'a/+', qos: 1, id: 1 }),
    v5: [0x90, MALFORMED, PROTOCOL],
  },
  {
    name: '[MQTT-3.3.2-2] # wildcard in a PUBLISH topic',
    bytes: (v) => publishBytes({ version: v, topic: 'a/#' }),
    v5: [0x90, MALFORMED, PROTOCOL],
  },
  {
    name: '[MQTT-2.3.1-1 (3.1.1) / MQTT-2.2.1-3] QoS 1 PUBLISH with packet id 0',
    bytes: (v) => publishBytes({ version: v, topic: 'a', qos: 1, id: 0 }),
    v5: [MALFORMED, PROTOCOL],
  },
  {
    name: '[MQTT-3.8.3-3 (3.1.1) / MQTT-3.8.3-2] SUBSCRIBE without topic filters',
    bytes: (v) => subscribeBytes(v, 1, []),
    v5: [MALFORMED, PROTOCOL],
  },
  {
    name: '[MQTT-3.10.3-2] UNSUBSCRIBE without topic filters',
    bytes: (v) => unsubscribeBytes(v, 1, []),
    v5: [MALFORMED, PROTOCOL],
  },
  {
    name: '[MQTT-3.8.3-4 (3.1.1) / §3.8.3.1] SUBSCRIBE requesting QoS 3',
    bytes: (v) => subscribeBytes(v, 1, [['a', 0x03]]),
    v5: [MALFORMED, PROTOCOL],
  },
  {
    name: '[MQTT-3.8.3-4 (3.1.1) / MQTT-3.8.3-5] SUBSCRIBE with reserved option bits set',
    bytes: (v) => subscribeBytes(v, 1, [['a', 0xc1]]),
    v5: [MALFORMED],
  },
  { name: '[§2.2.1] reserved packet type 0', bytes: () => '00 00', v5: [MALFORMED, PROTOCOL] },
  { name: '[§2.2.1] CONNACK sent by a client', bytes: () => '20 02 00 00', v5: [MALFORMED, PROTOCOL] },
  { name: '[§2.2.1] SUBACK sent by a client', bytes: () => '90 03 00 01 00', v5: [MALFORMED, PROTOCOL] },
  {
    name: '[MQTT-1.5.5-1 / §2.2.3] Remaining Length of five bytes',
    bytes: () => '30 ff ff ff ff 7f',
    v5: [MALFORMED],
  },
  {
    name: '[§3.3.2.1] topic length beyond the end of the packet',
    bytes: () => frame(0x30, Buffer.from([0, 0x10, 0x61])),
    v5: [MALFORMED],
  },
  {
    name: '[MQTT-3.3.4-6] v5: Subscription Identifier in a PUBLISH from the client',
    versions: [5],
    bytes: () => publishBytes({ version: 5, topic: 'a', properties: propertiesBlock(0x0b, 0x01) }),
    v5: [PROTOCOL],
  },
  {
    name: '[§2.2.2.2] v5: the same property twice',
    versions: [5],
    bytes: () =>
      publishBytes({ version: 5, topic: 'a', properties: propertiesBlock(0x01, 0x01, 0x01, 0x01) }),
    v5: [PROTOCOL, MALFORMED],
  },
  {
    name: '[§2.2.2.2] v5: an unknown property identifier',
    versions: [5],
    bytes: () => publishBytes({ version: 5, topic: 'a', properties: propertiesBlock(0x7f, 0x00) }),
    v5: [MALFORMED, PROTOCOL],
  },
  {
    name: '[§3.8.2.1.2] v5: Subscription Identifier 0',
    versions: [5],
    bytes: () => subscribeBytes(5, 1, [['a', 0]], { properties: propertiesBlock(0x0b, 0x00) }),
    v5: [PROTOCOL, MALFORMED],
  },
  {
    name: '[§3.8.3.1] v5: Retain Handling 3',
    versions: [5],
    bytes: () => subscribeBytes(5, 1, [['a', 0x30]]),
    v5: [PROTOCOL, MALFORMED],
  },
  {
    name: '[MQTT-4.12.0-7] v5: AUTH without an Authentication Method',
    versions: [5],
    bytes: () => 'f0 00',
    v5: [PROTOCOL],
  },
  { name: '[§2.2.1] v3.1.1: AUTH (reserved packet type 15)', versions: [4], bytes: () => 'f0 00', v5: [] },
];

/** The server is still healthy: a new connection completes CONNECT and a PINGREQ round trip. */
async function assertStillServes(t: TestContext, port: number): Promise<void> {
  const { raw } = await RawClient.connected(t, port, { protocolVersion: 4 });
  raw.send({ cmd: 'pingreq' });
  await raw.expect('pingresp');
}

for (const c of afterConnect) {
  for (const version of c.versions ?? ([4, 5] as const)) {
    test(`${c.name} closes the connection (v${version})`, async (t) => {
      const srv = await startServer(t);
      const { raw } = await RawClient.connected(t, srv.port, { protocolVersion: version });
      raw.sendRaw(c.bytes(version));
      const closed = await raw.expectClosed();
      const other = closed.packets.filter((p) => p.cmd !== 'disconnect');
      assert.deepEqual(
        other.map((p) => p.cmd),
        [],
        'no answer other than DISCONNECT',
      );
      if (version === 5) {
        assert.ok(closed.disconnect, 'v5: DISCONNECT with a reason code before closing [§4.13]');
        const code = closed.disconnect.reasonCode ?? 0;
        assert.ok(
          c.v5.includes(code),
          `DISCONNECT 0x${code.toString(16)}, expected one of ${c.v5.map((x) => x.toString(16))}`,
        );
      } else {
        assert.equal(closed.disconnect, undefined, '3.1.1 has no server DISCONNECT');
      }
      await assertStillServes(t, srv.port);
    });
  }
}

/** CONNECT packets that break a rule: the connection is closed without a successful CONNACK. */
const badConnects: ReadonlyArray<{ name: string; bytes: Buffer }> = [
  {
    name: '[MQTT-3.1.2-13 (3.1.1)] v3.1.1: Will QoS set without the Will Flag',
    bytes: connectBytes({ level: 4, flags: 0x0a }),
  },
  {
    name: '[MQTT-3.1.2-14 (3.1.1)] v3.1.1: Will QoS 3',
    bytes: connectBytes({ level: 4, flags: 0x1e, rest: Buffer.concat([mqttString('w'), mqttString('m')]) }),
  },
  {
    name: '[MQTT-3.1.2-15 (3.1.1)] v3.1.1: Will Retain set without the Will Flag',
    bytes: connectBytes({ level: 4, flags: 0x22 }),
  },
  {
    name: '[MQTT-3.1.2-22 (3.1.1)] v3.1.1: Password Flag without User Name Flag',
    bytes: connectBytes({ level: 4, flags: 0x42, rest: mqttString('secret') }),
  },
  {
    name: '[MQTT-3.1.2-19 (3.1.1)] v3.1.1: User Name Flag without a user name',
    bytes: connectBytes({ level: 4, flags: 0x82 }),
  },
  { name: '[MQTT-1.5.3-1] v3.1.1: ill-formed UTF-8 client id', bytes: frameWithBadClientId() },
  {
    name: '[MQTT-3.1.2-11] v5: Will QoS set without the Will Flag',
    bytes: connectBytes({ level: 5, flags: 0x0a }),
  },
  {
    name: '[MQTT-3.1.2-12] v5: Will QoS 3',
    bytes: connectBytes({
      level: 5,
      flags: 0x1e,
      rest: Buffer.concat([Buffer.from([0]), mqttString('w'), mqttString('m')]),
    }),
  },
  {
    name: '[MQTT-3.1.2-13] v5: Will Retain set without the Will Flag',
    bytes: connectBytes({ level: 5, flags: 0x22 }),
  },
  {
    name: '[§3.1.2.11.3] v5: Receive Maximum 0',
    bytes: connectBytes({ level: 5, properties: propertiesBlock(0x21, 0x00, 0x00) }),
  },
  {
    name: '[§3.1.2.11.4] v5: Maximum Packet Size 0',
    bytes: connectBytes({ level: 5, properties: propertiesBlock(0x27, 0, 0, 0, 0) }),
  },
  { name: '[§2.2.3] truncated CONNECT fields', bytes: frame(0x10, Buffer.from([0x00, 0x04, 0x4d, 0x51])) },
];

function frameWithBadClientId(): Buffer {
  const head = Buffer.concat([mqttString('MQTT'), Buffer.from([4, 0x02, 0, 0])]);
  return frame(0x10, Buffer.concat([head, mqttString(Buffer.from([0x61, 0xff, 0x62]))]));
}

for (const c of badConnects) {
  test(`${c.name}: the CONNECT is refused and the connection closed`, async (t) => {
    const srv = await startServer(t);
    const raw = await RawClient.open(t, srv.port);
    raw.version = c.bytes[8] === 5 ? 5 : 4;
    raw.sendRaw(c.bytes);
    const closed = await raw.expectClosed();
    const connack = closed.packets.find((p) => p.cmd === 'connack');
    if (connack) assert.ok(connackCode(connack) !== 0, 'never a successful CONNACK');
    await assertStillServes(t, srv.port);
  });
}

test('[§2.2.3] a declared Remaining Length above maxPacketSize closes without waiting for the body', async (t) => {
  const srv = await startServer(t, { limits: { maxPacketSize: 1024 } });
  for (const version of [4, 5] as const) {
    const { raw } = await RawClient.connected(t, srv.port, { protocolVersion: version });
    raw.sendRaw('30 80 80 80 05'); // 10 MiB announced, nothing sent
    const closed = await raw.expectClosed();
    if (version === 5) assert.equal(closed.disconnect?.reasonCode, 0x95);
  }
  await assertStillServes(t, srv.port);
});

test('[MQTT-3.1.0-1] garbage bytes instead of CONNECT close the connection without a reply', async (t) => {
  const srv = await startServer(t);
  const raw = await RawClient.open(t, srv.port);
  raw.sendRaw('de ad be ef 00 11 22 33 44 55 66 77 88 99');
  const closed = await raw.expectClosed();
  assert.deepEqual(closed.packets, []);
  assert.deepEqual(raw.undecodable, []);
  await assertStillServes(t, srv.port);
});

test('half a packet and then a closed socket leave the server healthy', async (t) => {
  const srv = await startServer(t);
  const { raw } = await RawClient.connected(t, srv.port, { protocolVersion: 5 });
  const whole = publishBytes({ version: 5, topic: 'half/t', qos: 1, id: 1, payload: 'x'.repeat(100) });
  raw.sendRaw(whole.subarray(0, 40));
  raw.destroy();
  await raw.closed;
  const half = await RawClient.open(t, srv.port);
  half.sendRaw(connectBytes({ level: 4 }).subarray(0, 6));
  half.destroy();
  await assertStillServes(t, srv.port);
});
