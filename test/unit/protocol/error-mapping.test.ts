import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodePacket } from '../../../src/mqtt/codec/encoder.js';
import { MqttError, ProtocolError, UnsupportedProtocolVersionError } from '../../../src/mqtt/codec/errors.js';
import type { ProtocolVersion } from '../../../src/mqtt/codec/packet.js';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import {
  classifyFailure,
  type FailureStage,
  failureAnswer,
  MAX_REASON_STRING_BYTES,
  publishAckCode,
  subackCode,
  wireReasonString,
} from '../../../src/mqtt/protocol/error-mapping.js';
import { redactTopic, topicForText } from '../../../src/mqtt/topic/redact.js';

const TOKEN = 'Zx9_kq2LrT7mWpY4aN8dVb3cHs6fJe1u';

test('reason strings are cut to 128 bytes on a UTF-8 character boundary', () => {
  for (const unit of ['a', 'é', '€', '😀']) {
    const text = wireReasonString(`invalid topic name '${unit.repeat(40_000)}'`);
    const bytes = Buffer.byteLength(text);
    assert.ok(bytes <= MAX_REASON_STRING_BYTES, `${bytes} bytes for ${unit}`);
    assert.ok(bytes >= MAX_REASON_STRING_BYTES - 6, `cut too short: ${bytes} bytes for ${unit}`);
    assert.ok(text.endsWith('…'));
    assert.ok(!text.includes('\uFFFD'), 'no character cut in half');
  }
  assert.equal(wireReasonString('short'), 'short');
});

test('device tokens are redacted in topics and in texts quoting them; internal $dev ids are kept', () => {
  assert.equal(redactTopic(`dev/${TOKEN}/ds/+`), 'dev/***/ds/+');
  assert.equal(redactTopic(`dev/${TOKEN}`), 'dev/***');
  assert.equal(redactTopic(`invalid topic name 'dev/${TOKEN}/ds/+'`), "invalid topic name 'dev/***/ds/+'");
  assert.equal(redactTopic(`Unknown topic "dev/${TOKEN}/x"`), 'Unknown topic "dev/***/x"');
  assert.equal(redactTopic('$dev/42/downlink/ds/x'), '$dev/42/downlink/ds/x');
  assert.equal(redactTopic('devices/dev'), 'devices/dev');
  assert.equal(redactTopic('use dev/{token}/… or dev/{token}/#'), 'use dev/{token}/… or dev/{token}/#');
  assert.equal(wireReasonString(`bad dev/${TOKEN}/a`), 'bad dev/***/a');
  assert.equal(topicForText(`dev/${TOKEN}/${'x'.repeat(200)}`).length, 97);
});

test('failures are ours (0x83, no reason string) unless they are MqttErrors the client caused', () => {
  assert.deepEqual(classifyFailure(new TypeError('x is undefined')), {
    kind: 'internal',
    code: ReasonCode.ImplementationSpecificError,
    text: undefined,
  });
  assert.equal(
    classifyFailure(new MqttError(ReasonCode.ImplementationSpecificError, 'cannot encode')).kind,
    'internal',
  );
  assert.deepEqual(classifyFailure(new ProtocolError('second CONNECT')), {
    kind: 'protocol',
    code: ReasonCode.ProtocolError,
    text: 'second CONNECT',
  });
});

const VERSIONS: readonly ProtocolVersion[] = [3, 4, 5];
const STAGES: readonly FailureStage[] = ['new', 'connecting', 'connected'];
const CODES = Object.values(ReasonCode).filter((code) => code >= 0x80);

test('every failure answer, for every code, stage and version, can be encoded in the version it names', () => {
  for (const version of VERSIONS) {
    for (const stage of STAGES) {
      for (const code of CODES) {
        const answer = failureAnswer({ kind: 'protocol', code, text: 'x'.repeat(70_000) }, stage, version);
        if (answer === null) continue;
        assert.ok(encodePacket(answer.packet, answer.version).length < 200, `${code} ${stage} v${version}`);
        if (answer.version !== 5)
          assert.equal(answer.packet.properties, undefined, 'no reason string on 3.1.x');
      }
    }
  }
});

test('[MQTT-3.1.0-2] an unsupported level after the first CONNECT is answered as a second CONNECT, per version', () => {
  const failure = classifyFailure(new UnsupportedProtocolVersionError('level 6', 6));
  const connected = failureAnswer(failure, 'connected', 5);
  assert.equal(connected?.packet.cmd, 'disconnect');
  assert.equal(connected?.packet.reasonCode, ReasonCode.ProtocolError);
  assert.equal(connected?.version, 5);
  const connecting = failureAnswer(failure, 'connecting', 5);
  assert.equal(connecting?.packet.cmd, 'connack');
  assert.equal(connecting?.packet.reasonCode, ReasonCode.ProtocolError);
  assert.equal(failureAnswer(failure, 'connected', 4), null, '3.1.1: close');
  assert.equal(failureAnswer(failure, 'connecting', 4), null, '3.1.1: close [MQTT-4.8.0-1]');
  // Before any CONNECT: the 3.1.1 "unacceptable protocol version" every client can read [MQTT-3.1.2-2].
  const first = failureAnswer(failure, 'new', 4);
  assert.deepEqual(first, {
    packet: { cmd: 'connack', sessionPresent: false, returnCode: 1 },
    version: 4,
  });
});

test('MQTT 5.0 §3.14.2.1 a code DISCONNECT cannot carry goes out as 0x80', () => {
  const answer = failureAnswer(
    { kind: 'protocol', code: ReasonCode.BadUserNameOrPassword, text: undefined },
    'connected',
    5,
  );
  assert.equal(answer?.packet.reasonCode, ReasonCode.UnspecifiedError);
});

test('MQTT 5.0 §3.4.2.1 an outcome PUBACK cannot carry goes out as 0x80', () => {
  assert.equal(publishAckCode(ReasonCode.QuotaExceeded), ReasonCode.QuotaExceeded);
  assert.equal(publishAckCode(ReasonCode.MessageRateTooHigh), ReasonCode.UnspecifiedError);
  assert.equal(publishAckCode(ReasonCode.TopicFilterInvalid), ReasonCode.UnspecifiedError);
});

test('MQTT 5.0 §3.9.3 SUBACK codes per version: v5 failures SUBACK may carry, 3.1.1 0x80 [MQTT-3.9.3-2]', () => {
  assert.equal(subackCode(1, 5), 1);
  assert.equal(subackCode(ReasonCode.WildcardSubscriptionsNotSupported, 5), 0xa2);
  assert.equal(subackCode(ReasonCode.BadUserNameOrPassword, 5), ReasonCode.UnspecifiedError);
  assert.equal(subackCode(ReasonCode.NotAuthorized, 4), 0x80);
  assert.equal(subackCode(2, 4), 2);
});
