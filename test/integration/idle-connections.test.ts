import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { RawClient } from '../helpers/raw-client.js';
import { startServer } from '../helpers/start-server.js';
import { stopwatch, WAIT_MS, within } from '../helpers/wait.js';

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

async function until(condition: () => boolean, what: string): Promise<void> {
  await within(
    (async () => {
      while (!condition()) await nextTurn();
    })(),
    WAIT_MS,
    what,
  );
}

test('[MQTT-3.1.2-24] idle connections add no Node timer each: their keepalives share one timer wheel', async (t) => {
  const srv = await startServer(t);
  const before = timers();
  for (let i = 0; i < 20; i++) await RawClient.connected(t, srv.port, { keepalive: 60 });
  assert.equal(srv.server.broker.connectionCount, 20);
  assert.ok(timers() - before < 5, `${timers() - before} more timers for 20 idle connections`);
});

test('[MQTT-3.1.2-24] the shared keepalive still closes each silent connection on its own deadline', async (t) => {
  const srv = await startServer(t);
  const elapsed = stopwatch();
  const quick = await RawClient.connected(t, srv.port, { keepalive: 1 });
  const slow = await RawClient.connected(t, srv.port, { keepalive: 3 });
  const busy = await RawClient.connected(t, srv.port, { keepalive: 1 });
  const ping = setInterval(() => busy.raw.send({ cmd: 'pingreq' }), 300);
  t.after(() => clearInterval(ping));
  await quick.raw.expectClosed(4000);
  const quickMs = elapsed();
  assert.ok(quickMs >= 1500 && quickMs < 3000, `keepalive 1 closed after ${Math.round(quickMs)} ms`);
  assert.equal(slow.raw.isClosed, false, 'keepalive 3 is not due yet');
  await slow.raw.expectClosed(6000);
  const slowMs = elapsed();
  assert.ok(slowMs >= 4500, `keepalive 3 closed after ${Math.round(slowMs)} ms, before 4.5 s`);
  assert.equal(busy.raw.isClosed, false, 'a client that keeps sending stays connected');
});

test('a connection the peer closes is detached from the broker', async (t) => {
  const srv = await startServer(t);
  const { raw } = await RawClient.connected(t, srv.port, { keepalive: 60 });
  assert.equal(srv.server.broker.connectionCount, 1);
  raw.end();
  await until(() => srv.server.broker.connectionCount === 0, 'connection detached');
});
