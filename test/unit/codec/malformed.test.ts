import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PacketDecoder } from '../../../src/mqtt/codec/decoder.js';
import { encodePacket } from '../../../src/mqtt/codec/encoder.js';
import {
  MalformedPacketError,
  type MqttError,
  ProtocolError,
  UnsupportedProtocolVersionError,
} from '../../../src/mqtt/codec/errors.js';
import type { ProtocolVersion } from '../../../src/mqtt/codec/packet.js';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { bytes, connect, frame, props, rawStr, str, u16, u32 } from './wire.js';

type ErrorClass = new (...args: never[]) => MqttError;
/** [rule and case, version already negotiated by a CONNECT (undefined: none), bytes, error class] */
type Row = [string, ProtocolVersion | undefined, Buffer, ErrorClass];

const M = MalformedPacketError;
const P = ProtocolError;
const U = UnsupportedProtocolVersionError;
const sub5 = (options: number) => frame(0x82, u16(1), props(), str('a'), options);
const pub5 = (...properties: Array<number | Buffer | string>) =>
  frame(0x30, str('t'), props(...properties), 'aa');
const connect5 = (...properties: Array<number | Buffer | string>) =>
  connect(5, 0x02, [props(...properties), str('c')]);
const will5 = (...properties: Array<number | Buffer | string>) =>
  connect(5, 0x06, [props(), str('c'), props(...properties), str('w'), u16(0)]);

const rows: Row[] = [
  // Fixed header
  ['[MQTT-2.2.2-1] reserved packet type 0', 4, bytes('00 00'), M],
  ['[MQTT-2.2.2-2] PUBACK with flags 0001', 4, bytes('41 02 00 01'), M],
  ['[MQTT-2.2.2-2] PINGREQ with flags 1000', 4, bytes('c8 00'), M],
  ['[MQTT-2.2.2-2] CONNECT with flags 0010', undefined, bytes('12 00'), M],
  ['[MQTT-3.6.1-1] PUBREL flags must be 0010', 4, bytes('60 02 00 01'), M],
  ['[MQTT-3.8.1-1] SUBSCRIBE flags must be 0010', 4, frame(0x80, u16(1), str('a'), 0), M],
  ['[MQTT-3.10.1-1] UNSUBSCRIBE flags must be 0010', 4, frame(0xa0, u16(1), str('a')), M],
  ['[MQTT-3.3.1-4] PUBLISH with QoS 3', 4, frame(0x36, str('a'), u16(1)), M],
  ['[MQTT-3.3.1-2] PUBLISH QoS 0 with DUP', 4, frame(0x38, str('a')), M],
  ['3.1.1 §2.2.1 AUTH (15) is a reserved type', 4, bytes('f0 00'), M],
  ['MQTT 5.0 §1.5.5 remaining length over 4 bytes', 4, bytes('30 ff ff ff ff 01'), M],
  // UTF-8 strings
  ['[MQTT-1.5.3-1] invalid UTF-8 in topic name', 4, frame(0x30, rawStr('c3 28')), M],
  ['[MQTT-1.5.3-1] overlong encoding in topic name', 4, frame(0x30, rawStr('c0 af')), M],
  ['[MQTT-1.5.3-1] UTF-16 surrogate encoded in topic name', 4, frame(0x30, rawStr('ed a0 80')), M],
  ['[MQTT-1.5.3-1] truncated sequence in topic name', 4, frame(0x30, rawStr('61 e2 82')), M],
  ['[MQTT-1.5.3-2] U+0000 in topic name', 4, frame(0x30, rawStr('61 00 62')), M],
  ['[MQTT-1.5.3-2] U+0000 after non-ASCII in topic name', 4, frame(0x30, rawStr('c3 a9 00')), M],
  ['[MQTT-1.5.3-2] U+0000 in subscription filter', 4, frame(0x82, u16(1), rawStr('61 00'), 0), M],
  ['[MQTT-1.5.3-1] invalid UTF-8 in unsubscribe filter', 4, frame(0xa2, u16(1), rawStr('ff')), M],
  ['[MQTT-1.5.3-1] invalid UTF-8 in client id', undefined, connect(4, 0x02, [rawStr('fe')]), M],
  ['[MQTT-1.5.3-2] U+0000 in user name', undefined, connect(4, 0x82, [str('c'), rawStr('75 00')]), M],
  [
    '[MQTT-1.5.3-1] invalid UTF-8 in will topic',
    undefined,
    connect(4, 0x06, [str('c'), rawStr('80'), u16(0)]),
    M,
  ],
  ['[MQTT-1.5.3-1] invalid UTF-8 in user property', 5, pub5(0x26, str('k'), rawStr('c3')), M],
  ['[MQTT-1.5.3-1] invalid UTF-8 in content type', 5, pub5(0x03, rawStr('ed bf bf')), M],
  // Lengths
  ['topic length overruns the packet', 4, frame(0x30, u16(5), '61'), M],
  ['PUBLISH QoS 1 without packet id', 4, frame(0x32, str('a')), M],
  ['PINGREQ with a body', 4, frame(0xc0, 0), M],
  ['3.1.1 PUBACK with an extra byte', 4, frame(0x40, u16(1), 0), M],
  ['3.1.1 DISCONNECT with a body', 4, frame(0xe0, 0), M],
  ['3.1.1 UNSUBACK with an extra byte', 4, frame(0xb0, u16(1), 0), M],
  ['subscription filter without options byte', 4, frame(0x82, u16(1), str('a')), M],
  ['CONNECT with trailing bytes', undefined, connect(4, 0x02, [str('c'), 0]), M],
  ['CONNECT truncated before client id', undefined, connect(4, 0x02, []), M],
  ['[MQTT-3.2.2-1] CONNACK reserved flags', 4, frame(0x20, 0x02, 0), M],
  // Packet identifiers
  ['[MQTT-2.3.1-1] PUBLISH QoS 1 with packet id 0', 4, frame(0x32, str('a'), u16(0)), P],
  ['[MQTT-2.3.1-1] SUBSCRIBE with packet id 0', 4, frame(0x82, u16(0), str('a'), 0), P],
  ['[MQTT-2.3.1-1] UNSUBSCRIBE with packet id 0', 4, frame(0xa2, u16(0), str('a')), P],
  ['[MQTT-2.3.1-1] PUBACK with packet id 0', 4, frame(0x40, u16(0)), P],
  // SUBSCRIBE / UNSUBSCRIBE payloads
  ['[MQTT-3.8.3-3] SUBSCRIBE without topic filters', 4, frame(0x82, u16(1)), P],
  ['[MQTT-3.8.3-3] 5.0 SUBSCRIBE without topic filters', 5, frame(0x82, u16(1), props()), P],
  ['[MQTT-3.10.3-2] UNSUBSCRIBE without topic filters', 4, frame(0xa2, u16(1)), P],
  ['[MQTT-3-8.3-4] 3.1.1 subscription reserved bits', 4, frame(0x82, u16(1), str('a'), 0x04), M],
  ['[MQTT-3-8.3-4] 3.1.1 subscription QoS 3', 4, frame(0x82, u16(1), str('a'), 0x03), M],
  ['[MQTT-3.8.3-5] 5.0 subscription options bits 6-7', 5, sub5(0x40), M],
  ['[MQTT-3-8.3-4] 5.0 subscription Maximum QoS 3', 5, sub5(0x03), P],
  ['[MQTT-3.8.3-5] 5.0 subscription Retain Handling 3', 5, sub5(0x30), P],
  // CONNECT
  ['[MQTT-3.1.2-3] CONNECT reserved flag', undefined, connect(4, 0x03, [str('c')]), M],
  ['[MQTT-3.1.2-13] Will QoS without Will Flag', undefined, connect(4, 0x0a, [str('c')]), M],
  ['[MQTT-3.1.2-15] Will Retain without Will Flag', undefined, connect(4, 0x22, [str('c')]), M],
  ['[MQTT-3.1.2-14] Will QoS 3', undefined, connect(4, 0x1e, [str('c'), str('w'), u16(0)]), M],
  ['[MQTT-3.1.2-22] 3.1.1 password without user name', undefined, connect(4, 0x42, [str('c'), str('pw')]), M],
  ['[MQTT-3.1.2-2] protocol level 6', undefined, connect(6, 0x02, [str('c')]), U],
  ['[MQTT-3.1.2-2] protocol level 2', undefined, connect(2, 0x02, [str('c')]), U],
  ['[MQTT-3.1.2-1] "MQTT" with level 3', undefined, connect(3, 0x02, [str('c')]), U],
  ['[MQTT-3.1.2-1] "MQIsdp" with level 4', undefined, connect(4, 0x02, [str('c')], 'MQIsdp'), U],
  ['[MQTT-3.1.2-1] unknown protocol name', undefined, connect(4, 0x02, [str('c')], 'MQTX'), U],
  // 5.0 properties (MQTT 5.0 §2.2.2)
  ['MQTT 5.0 §2.2.2.2 unknown property 0x7f', 5, pub5(0x7f, 0), M],
  ['MQTT 5.0 §2.2.2.2 property id 0', 5, pub5(0x00), M],
  ['MQTT 5.0 §2.2.2.2 Topic Alias is not a CONNECT property', undefined, connect5(0x23, u16(1)), M],
  ['MQTT 5.0 §2.2.2.2 Will Delay Interval outside Will Properties', undefined, connect5(0x18, u32(1)), M],
  ['MQTT 5.0 §2.2.2.2 Session Expiry Interval inside Will Properties', undefined, will5(0x11, u32(1)), M],
  ['MQTT 5.0 §2.2.2.2 property length overruns the packet', 5, frame(0x30, str('t'), 0x10, 0x01, 0x00), M],
  [
    'MQTT 5.0 §2.2.2.2 property value overruns the property length',
    5,
    frame(0x30, str('t'), 0x02, 0x02, u32(1)),
    M,
  ],
  ['MQTT 5.0 §3.1.2.11.2 Session Expiry Interval twice', undefined, connect5(0x11, u32(1), 0x11, u32(2)), P],
  ['MQTT 5.0 §3.3.2.3.4 Topic Alias twice in PUBLISH', 5, pub5(0x23, u16(1), 0x23, u16(2)), P],
  [
    'MQTT 5.0 §3.8.2.1.2 Subscription Identifier twice in SUBSCRIBE',
    5,
    frame(0x82, u16(1), props(0x0b, 1, 0x0b, 2), str('a'), 0),
    P,
  ],
  ['MQTT 5.0 §3.3.2.3.8 Subscription Identifier 0', 5, pub5(0x0b, 0), P],
  ['MQTT 5.0 §3.1.2.11.3 Receive Maximum 0', undefined, connect5(0x21, u16(0)), P],
  ['MQTT 5.0 §3.1.2.11.4 Maximum Packet Size 0', undefined, connect5(0x27, u32(0)), P],
  ['MQTT 5.0 §3.1.2.11.7 Request Problem Information 2', undefined, connect5(0x17, 2), P],
  ['MQTT 5.0 §3.3.2.3.2 Payload Format Indicator 2', 5, pub5(0x01, 2), P],
  ['MQTT 5.0 §3.1.2.11.10 Authentication Data without Method', undefined, connect5(0x16, u16(1), 'ff'), P],
  ['MQTT 5.0 §3.4.2.1 PUBACK with an invalid reason code', 5, frame(0x40, u16(1), 0x05), M],
  ['MQTT 5.0 §3.14.2.1 DISCONNECT with an invalid reason code', 5, frame(0xe0, 0x03), M],
];

function prefixFor(version: ProtocolVersion | undefined): Buffer {
  if (version === undefined) return Buffer.alloc(0);
  return encodePacket(
    { cmd: 'connect', clientId: 'c', protocolVersion: version, clean: true, keepalive: 0 },
    version,
  );
}

describe('malformed input: error class and reason code', () => {
  for (const [name, version, packet, errorClass] of rows) {
    test(name, () => {
      const decoder = new PacketDecoder({ maxPacketSize: 1 << 16 });
      const prefix = prefixFor(version);
      if (prefix.length > 0) assert.equal(decoder.push(prefix).length, 1, 'the CONNECT itself decodes');
      assert.throws(
        () => decoder.push(packet),
        (err: unknown) => {
          assert.ok(err instanceof errorClass, `expected ${errorClass.name}, got ${String(err)}`);
          const expected = new errorClass('' as never).reasonCode;
          assert.equal(err.reasonCode, expected);
          return true;
        },
      );
    });
  }
});

test('reason codes: Malformed 0x81, Protocol Error 0x82, Unsupported Protocol Version 0x84', () => {
  assert.equal(new MalformedPacketError('').reasonCode, ReasonCode.MalformedPacket);
  assert.equal(new ProtocolError('').reasonCode, ReasonCode.ProtocolError);
  assert.equal(new UnsupportedProtocolVersionError('').reasonCode, ReasonCode.UnsupportedProtocolVersion);
});

test('[MQTT-3.1.2-2] UnsupportedProtocolVersionError carries the level the client asked for', () => {
  const decoder = new PacketDecoder({ maxPacketSize: 1024 });
  assert.throws(
    () => decoder.push(connect(6, 0x02, [str('c')])),
    (err: unknown) => err instanceof UnsupportedProtocolVersionError && err.protocolLevel === 6,
  );
});

/** The same builders with the one defect removed decode fine, so each row above fails for its stated reason. */
const controls: Array<[string, ProtocolVersion | undefined, Buffer]> = [
  ['PUBACK', 4, bytes('40 02 00 01')],
  ['PUBREL', 4, bytes('62 02 00 01')],
  ['SUBSCRIBE', 4, frame(0x82, u16(1), str('a'), 2)],
  ['UNSUBSCRIBE', 4, frame(0xa2, u16(1), str('a'))],
  ['PUBLISH QoS 1 dup', 4, frame(0x3a, str('a'), u16(1))],
  ['PUBLISH with a UTF-8 topic', 4, frame(0x30, rawStr('c3 a9 e2 82 ac f0 9f 98 80'))],
  ['5.0 SUBSCRIBE with every option', 5, sub5(0x2e)],
  ['5.0 PUBLISH with a Topic Alias', 5, pub5(0x23, u16(1))],
  ['5.0 PUBLISH with two Subscription Identifiers', 5, pub5(0x0b, 1, 0x0b, 2)],
  ['5.0 PUBLISH with repeated User Properties', 5, pub5(0x26, str('k'), str('1'), 0x26, str('k'), str('2'))],
  ['5.0 CONNECT with properties', undefined, connect5(0x11, u32(1), 0x21, u16(1), 0x17, 1)],
  ['5.0 CONNECT with will properties', undefined, will5(0x18, u32(1), 0x01, 1)],
  ['5.0 CONNECT with password but no user name', undefined, connect(5, 0x42, [props(), str('c'), str('pw')])],
  [
    '5.0 CONNECT with authentication method and data',
    undefined,
    connect5(0x15, str('m'), 0x16, u16(1), 'ff'),
  ],
  ['3.1.1 CONNECT with will QoS 2 retain', undefined, connect(4, 0x36, [str('c'), str('w'), u16(0)])],
  ['3.1 CONNECT', undefined, connect(3, 0x02, [str('c')], 'MQIsdp')],
  ['bridge CONNECT (level 0x84)', undefined, connect(0x84, 0x02, [str('c')])],
  ['5.0 PUBACK with reason code only', 5, frame(0x40, u16(1), 0x10)],
  ['5.0 DISCONNECT with reason code only', 5, frame(0xe0, 0x04)],
  ['5.0 AUTH with remaining length 0', 5, bytes('f0 00')],
];

describe('controls: the builders produce valid packets', () => {
  for (const [name, version, packet] of controls) {
    test(name, () => {
      const decoder = new PacketDecoder({ maxPacketSize: 1 << 16 });
      const prefix = prefixFor(version);
      if (prefix.length > 0) decoder.push(prefix);
      assert.equal(decoder.push(packet).length, 1);
    });
  }
});
