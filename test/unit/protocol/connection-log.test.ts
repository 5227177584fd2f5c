import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { connect, connected, createHarness, type HarnessOptions } from '../../helpers/channel-harness.js';

type Line = Record<string, unknown>;

/** A harness whose broker logs into `lines` at info. */
function recordingHarness(options: HarnessOptions = {}) {
  const lines: Line[] = [];
  const logger = pino({ level: 'info' }, { write: (text: string) => lines.push(JSON.parse(text) as Line) });
  const harness = createHarness({ ...options, logger });
  const find = (msg: string, clientId: string): Line | undefined =>
    lines.find((line) => line.msg === msg && line.clientId === clientId);
  return { harness, lines, find };
}

describe('connection log lines', () => {
  test('[MQTT-3.1.0-2] a second CONNECT ends the connection: "protocol error" with its code and detail', async () => {
    const { harness, find } = recordingHarness();
    const client = await connected(harness, {
      clientId: 'twice',
      username: 'u',
      password: Buffer.from('pw-secret'),
    });
    await client.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 0,
      clientId: 'twice',
    });
    const line = find('client disconnected', 'twice');
    assert.equal(line?.reason, 'protocol error');
    assert.equal(line?.reasonCode, ReasonCode.ProtocolError);
    assert.equal(line?.detail, 'second CONNECT');
    assert.equal(line?.username, 'u');
    await harness.broker.close();
  });

  test('v5 DISCONNECT with will (0x04) and server shutdown are told apart', async () => {
    const { harness, find } = recordingHarness();
    const leaving = await connected(harness, { clientId: 'leaving', protocolVersion: 5 });
    await leaving.send({ cmd: 'disconnect', reasonCode: ReasonCode.DisconnectWithWill });
    assert.deepEqual(
      {
        reason: find('client disconnected', 'leaving')?.reason,
        code: find('client disconnected', 'leaving')?.reasonCode,
      },
      { reason: 'client disconnect', code: 4 },
    );
    const staying = await connected(harness, { clientId: 'staying', protocolVersion: 5 });
    staying.channel.shutdown();
    assert.equal(find('client disconnected', 'staying')?.reason, 'server shutdown');
    await harness.broker.close();
  });

  test('[MQTT-3.1.3-5] a refused CONNECT logs one "login refused" line and no disconnect line', async () => {
    const { harness, lines, find } = recordingHarness({ limits: { maxClientIdLength: 23 } });
    const id = 'x'.repeat(24);
    const { connack } = await connect(harness, {
      clientId: id,
      protocolVersion: 5,
      username: 'bob',
      password: Buffer.from('pw-secret'),
    });
    assert.equal(connack?.reasonCode, ReasonCode.ClientIdentifierNotValid);
    // The id was not accepted, so none is logged (it may be up to 64 KiB long).
    const line = find('login refused', '');
    assert.equal(line?.reason, 'client id not valid');
    assert.equal(line?.username, 'bob');
    assert.equal(find('client disconnected', id), undefined);
    assert.ok(!JSON.stringify(lines).includes('pw-secret'), 'the password is never logged');
    await harness.broker.close();
  });

  test('an authenticator refusal is named by its reason code', async () => {
    const { harness, find } = recordingHarness({
      authenticator: { authenticate: () => ({ ok: false, reasonCode: ReasonCode.BadUserNameOrPassword }) },
    });
    await connect(harness, { clientId: 'guess', username: 'device', password: Buffer.from('tok-secret') });
    assert.equal(find('login refused', 'guess')?.reason, 'bad credentials');
    await harness.broker.close();
  });
});
