import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { currentValue, type DeviceWorld, dsId, startDeviceWorld } from '../../helpers/device-api-world.js';
import { frame, mqttString as str } from '../../helpers/frames.js';
import { subscribeCodes } from '../../helpers/mqtt-client.js';
import { RawClient } from '../../helpers/raw-client.js';

/*
 * The packet sequences of the official Blynk MQTT samples (Blynk-Technologies/Blynk-MQTT-Samples),
 * rebuilt byte by byte from what each client library sends; docs/blynk-samples.md tells how the
 * samples themselves were run against devgate.
 */

const bytes = (...values: number[]): Buffer => Buffer.from(values);

/** CONNECT as umqtt.simple / paho 3.1.1 / gmqtt build it: clean, username + password, keepalive 45. */
function connectFrame(version: 4 | 5, clientId: string, token: string): Buffer {
  const head = Buffer.concat([str('MQTT'), bytes(version, 0xc2, 0, 45)]);
  const props = version === 5 ? bytes(0) : Buffer.alloc(0); // gmqtt: empty property block
  return frame(0x10, Buffer.concat([head, props, str(clientId), str('device'), str(token)]));
}

function subscribeFrame(version: 4 | 5, packetId: number, filter: string): Buffer {
  const props = version === 5 ? bytes(0) : Buffer.alloc(0);
  return frame(0x82, Buffer.concat([bytes(packetId >> 8, packetId & 0xff), props, str(filter), bytes(0)]));
}

function publishFrame(version: 4 | 5, topic: string, payload: string): Buffer {
  const props = version === 5 ? bytes(0) : Buffer.alloc(0);
  return frame(0x30, Buffer.concat([str(topic), props, Buffer.from(payload)]));
}

/** The device's PUBACK to `downlink/ping`: 3.1.1 short form; gmqtt's v5 form with code and empty properties. */
function pubackFrame(version: 4 | 5, packetId: number): Buffer {
  const id = bytes(packetId >> 8, packetId & 0xff);
  return version === 5 ? frame(0x40, Buffer.concat([id, bytes(0, 0)])) : frame(0x40, id);
}

/** Sends `downlink/ping`, answers it as the sample's MQTT stack does, and returns the round trip. */
async function pingAnswered(
  world: DeviceWorld,
  raw: RawClient,
  deviceId: number,
): Promise<number | undefined> {
  const rtt = world.runtime.downlinks.ping(deviceId);
  const ping = await raw.expect('publish');
  assert.deepEqual([ping.topic, ping.raw[0]], ['downlink/ping', 0x32]); // QoS 1, no DUP, no RETAIN
  raw.sendRaw(pubackFrame(raw.version === 5 ? 5 : 4, ping.messageId!));
  return rtt;
}

async function rawSession(t: TestContext, world: DeviceWorld, version: 4 | 5): Promise<RawClient> {
  const raw = await RawClient.open(t, world.server.port);
  raw.version = version;
  return raw;
}

test('spec §1.3 MicroPython sample (umqtt.simple): byte-exact 3.1.1 session', async (t) => {
  const world = await startDeviceWorld(t);
  await world.runtime.values.write(world.a.device.id, [{ dataStreamId: dsId(world, 'Power'), value: 1 }]);
  const raw = await rawSession(t, world, 4);
  raw.sendRaw(connectFrame(4, '', world.a.token));
  // umqtt asserts a 4-byte CONNACK and reads the SUBACK as exactly 5 bytes.
  assert.deepEqual((await raw.expect('connack')).raw, bytes(0x20, 0x02, 0x00, 0x00));
  raw.sendRaw(subscribeFrame(4, 1, 'downlink/#'));
  assert.deepEqual((await raw.expect('suback')).raw, bytes(0x90, 0x03, 0x00, 0x01, 0x00));
  const info = {
    type: world.template.templateId,
    tmpl: world.template.templateId,
    ver: '0.1.0',
    rxbuff: 1024,
  };
  raw.sendRaw(publishFrame(4, 'info/mcu', JSON.stringify(info)));
  raw.sendRaw(publishFrame(4, 'get/ds', 'Power'));
  const answer = await raw.expect('publish');
  // granted QoS 0: the answer comes at QoS 0 (header 0x30), which umqtt parses without a packet id
  assert.deepEqual(
    [answer.raw[0], answer.topic, answer.payload.toString()],
    [0x30, 'downlink/ds/Power', '1'],
  );
  const device = await world.platform.devices.byId(world.a.device.id);
  assert.deepEqual([device?.hardwareInfo?.version, device?.hardwareInfo?.rxbuff], ['0.1.0', 1024]);
  // ping is QoS 1 whatever the grant: umqtt's automatic PUBACK is the pong
  assert.equal(typeof (await pingAnswered(world, raw, world.a.device.id)), 'number');
  await world.runtime.values.write(world.a.device.id, [
    { dataStreamId: dsId(world, 'Set Temperature'), value: 25 },
  ]);
  const pushed = await raw.expect('publish');
  assert.deepEqual(
    [pushed.raw[0], pushed.topic, pushed.payload.toString()],
    [0x30, 'downlink/ds/Set Temperature', '25'],
  );
  assert.deepEqual(raw.undecodable, []);
});

test('spec §1.3 Python paho sample: SUBSCRIBE and get/ds right behind CONNECT, one TCP write', async (t) => {
  const world = await startDeviceWorld(t);
  const raw = await rawSession(t, world, 4);
  // paho publishes from on_connect without waiting for the SUBACK; all three may share a segment.
  raw.sendRaw(
    Buffer.concat([
      connectFrame(4, '', world.a.token),
      subscribeFrame(4, 1, 'downlink/#'),
      publishFrame(4, 'get/ds', 'Power,Set Temperature'),
      publishFrame(4, 'ds/Set Temperature/prop/isDisabled', '1'),
      publishFrame(4, 'ds/Current Temperature', '10.02516958787403'), // Python float repr
    ]),
  );
  await raw.expect('connack');
  await raw.expect('suback');
  const answers = [await raw.expect('publish'), await raw.expect('publish')];
  assert.deepEqual(
    answers.map((p) => [p.topic, p.payload.toString()]),
    [
      ['downlink/ds/Power', '0'],
      ['downlink/ds/Set Temperature', '21'],
    ],
  );
});

test('spec §2.4 gmqtt sample (MQTT 5): its CONNECT/SUBSCRIBE/PUBACK bytes work; a bad token is 0x86', async (t) => {
  const world = await startDeviceWorld(t);
  const raw = await rawSession(t, world, 5);
  raw.sendRaw(connectFrame(5, randomUUID().replaceAll('-', ''), world.a.token)); // gmqtt: uuid4().hex
  const connack = await raw.expect('connack');
  assert.equal(connack.reasonCode, 0);
  // gmqtt drops the connection on a property id it does not know (it has no Authentication Data)
  assert.equal(connack.properties?.authenticationData, undefined);
  raw.sendRaw(subscribeFrame(5, 1, 'downlink/#'));
  assert.deepEqual((await raw.expect('suback')).granted, [0]);
  raw.sendRaw(publishFrame(5, 'ds/Power', '1'));
  raw.sendRaw(publishFrame(5, 'get/ds', 'Power'));
  assert.equal((await raw.expect('publish')).payload.toString(), '1');
  assert.equal(await currentValue(world, world.a.device.id, 'Power'), 1);
  assert.equal(typeof (await pingAnswered(world, raw, world.a.device.id)), 'number');
  assert.deepEqual(raw.undecodable, []);

  // The sample tests `e.args[0] in (4, 5)`; over MQTT 5 the refusal is 0x86 (134), so it re-raises.
  const refused = await rawSession(t, world, 5);
  refused.sendRaw(connectFrame(5, randomUUID().replaceAll('-', ''), 'A'.repeat(32)));
  assert.equal((await refused.expect('connack')).reasonCode, ReasonCode.BadUserNameOrPassword);
  await refused.expectClosed();
});

test('spec §1.2 Node-RED flow (mqtt.js, MQTT 5): empty id, subscription options, response topic, ping', async (t) => {
  const world = await startDeviceWorld(t);
  const { client, inbox, connack } = await world.connect(t, world.a.token, {
    protocolVersion: 5,
    clientId: '',
    keepalive: 60,
    clean: true,
  });
  assert.equal(typeof connack.properties?.assignedClientIdentifier, 'string');
  // mqtt in: downlink/ds/#, QoS 0, No Local, Retain As Published, Retain Handling 2
  assert.deepEqual(
    await subscribeCodes(client, 'downlink/ds/#', { qos: 0, nl: true, rap: true, rh: 2 }),
    [0],
  );
  // birth message and mqtt out nodes: QoS 0, some with a Response Topic property
  client.publish('ds/Message', '|BLYNK| Type "help" for the list of available commands', {
    qos: 0,
    properties: { responseTopic: 'ds/Message' },
  });
  client.publish('ds/Power', '1', { qos: 0 });
  client.publish('get/ds', 'Message,Power', { qos: 0 });
  const answers = await inbox.take(2);
  assert.deepEqual(
    answers.map((m) => [m.topic, m.payload.toString()]),
    [
      ['downlink/ds/Message', '|BLYNK| Type "help" for the list of available commands'],
      ['downlink/ds/Power', '1'],
    ],
  );
  await world.runtime.values.write(world.a.device.id, [
    { dataStreamId: dsId(world, 'Message'), value: 'help' },
  ]);
  assert.deepEqual([(await inbox.next()).topic], ['downlink/ds/Message']);
  // the flow subscribes to downlink/ds/# only; ping still reaches it and mqtt.js answers
  assert.equal(typeof (await world.runtime.downlinks.ping(world.a.device.id)), 'number');
});
