import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setInterval } from 'node:timers';
import { connectClient } from '../helpers/mqtt-client.js';
import { RawClient } from '../helpers/raw-client.js';
import { startServer } from '../helpers/start-server.js';
import { stopwatch } from '../helpers/wait.js';

const versions = [4, 5] as const;

/** Runs `action` every `ms` until the returned stop function is called. */
function every(ms: number, action: () => void): () => void {
  const timer = setInterval(action, ms);
  return () => clearInterval(timer);
}

describe('keepalive', { concurrency: true }, () => {
  for (const protocolVersion of versions) {
    const v = `v${protocolVersion}`;
    const rule = protocolVersion === 5 ? 'MQTT-3.1.2-22' : 'MQTT-3.1.2-24';

    test(`[${rule}] ${v}: a silent client is disconnected after 1.5 x keepalive`, async (t) => {
      const srv = await startServer(t);
      const elapsed = stopwatch();
      const { raw } = await RawClient.connected(t, srv.port, { protocolVersion, keepalive: 1 });
      const closed = await raw.expectClosed(4000);
      const ms = elapsed();
      assert.ok(ms >= 1000 && ms <= 3000, `closed after ${Math.round(ms)} ms, expected about 1500`);
      if (protocolVersion === 5 && closed.disconnect) assert.equal(closed.disconnect.reasonCode, 0x8d);
    });

    test(`[MQTT-3.12.4-1] ${v}: PINGREQ is answered with PINGRESP and keeps the connection alive`, async (t) => {
      const srv = await startServer(t);
      const { raw } = await RawClient.connected(t, srv.port, { protocolVersion, keepalive: 1 });
      raw.send({ cmd: 'pingreq' });
      await raw.expect('pingresp');
      const stop = every(400, () => raw.send({ cmd: 'pingreq' }));
      t.after(stop);
      await new Promise((resolve) => setTimeout(resolve, 2200));
      stop();
      assert.equal(raw.isClosed, false, 'still open after 2.2 s of pings with keepalive 1');
      assert.ok(raw.received.filter((p) => p.cmd === 'pingresp').length >= 4);
    });

    test(`[${rule}] ${v}: any control packet resets the keepalive timer`, async (t) => {
      const srv = await startServer(t);
      const { raw } = await RawClient.connected(t, srv.port, { protocolVersion, keepalive: 1 });
      const stop = every(400, () =>
        raw.send({ cmd: 'publish', topic: 'ka/t', qos: 0, payload: 'tick', dup: false, retain: false }),
      );
      t.after(stop);
      await new Promise((resolve) => setTimeout(resolve, 2200));
      stop();
      assert.equal(raw.isClosed, false);
    });

    test(`[${rule}] ${v}: keepalive 0 turns the mechanism off`, async (t) => {
      const srv = await startServer(t);
      const { raw } = await RawClient.connected(t, srv.port, { protocolVersion, keepalive: 0 });
      await raw.expectOpenAndQuiet(2000);
    });
  }

  test('v5 [MQTT-3.2.2-21]: Server Keep Alive replaces a keepalive of 0 or above limits.maxKeepAlive', async (t) => {
    const srv = await startServer(t, { limits: { maxKeepAlive: 2 } });
    const zero = await connectClient(t, srv.port, { protocolVersion: 5, keepalive: 0 });
    assert.equal(zero.connack.properties?.serverKeepAlive, 2);
    const high = await connectClient(t, srv.port, { protocolVersion: 5, keepalive: 60 });
    assert.equal(high.connack.properties?.serverKeepAlive, 2);
    const low = await connectClient(t, srv.port, { protocolVersion: 5, keepalive: 1 });
    const kept = low.connack.properties?.serverKeepAlive;
    assert.ok(kept === undefined || kept === 1, '[MQTT-3.2.2-22] an allowed keepalive is used as sent');
  });

  test('v5 [MQTT-3.2.2-21]: the Server Keep Alive is enforced', async (t) => {
    const srv = await startServer(t, { limits: { maxKeepAlive: 1 } });
    const elapsed = stopwatch();
    const { raw, connack } = await RawClient.connected(t, srv.port, { protocolVersion: 5, keepalive: 0 });
    assert.equal(connack.properties?.serverKeepAlive, 1);
    await raw.expectClosed(4000);
    assert.ok(elapsed() <= 3000, `closed after ${Math.round(elapsed())} ms`);
  });

  test('[MQTT-3.1.2-24] keepalive timeout is measured from the last packet, not from CONNECT', async (t) => {
    const srv = await startServer(t);
    const { raw } = await RawClient.connected(t, srv.port, { protocolVersion: 4, keepalive: 1 });
    await new Promise((resolve) => setTimeout(resolve, 900));
    raw.send({ cmd: 'pingreq' });
    await raw.expect('pingresp');
    const elapsed = stopwatch();
    await raw.expectClosed(4000);
    assert.ok(elapsed() >= 900, `closed ${Math.round(elapsed())} ms after the last PINGREQ`);
  });
});
