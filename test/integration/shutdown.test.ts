import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { test } from 'node:test';
import { connectClient, serverClose } from '../helpers/mqtt-client.js';
import { RawClient } from '../helpers/raw-client.js';
import { startServer } from '../helpers/start-server.js';
import { within } from '../helpers/wait.js';

test('[§4.13 reason 0x8B] server.close() sends v5 clients DISCONNECT 0x8B and closes every connection', async (t) => {
  const srv = await startServer(t);
  const modern = await connectClient(t, srv.port, { protocolVersion: 5 });
  const old = await connectClient(t, srv.port, { protocolVersion: 4 });
  const modernClosed = serverClose(modern.client);
  const oldClosed = serverClose(old.client);
  await srv.close();
  const { disconnect } = await modernClosed;
  assert.equal(disconnect?.reasonCode, 0x8b, 'Server shutting down');
  const v4 = await oldClosed;
  assert.equal(v4.disconnect, undefined, '3.1.1 clients are just closed');
});

test('server.close() also closes connections that never finished CONNECT', async (t) => {
  const srv = await startServer(t);
  const pending = await RawClient.open(t, srv.port);
  pending.sendRaw('10 20 00');
  await within(srv.close(), 5000, 'server.close()');
  await pending.expectClosed(2000);
});

test('after server.close() the port refuses new connections', async (t) => {
  const srv = await startServer(t);
  await srv.close();
  const refused = await new Promise<boolean>((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port: srv.port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
  assert.equal(refused, true);
});

test('server.close() is idempotent, also when called concurrently', async (t) => {
  const srv = await startServer(t);
  await connectClient(t, srv.port, { protocolVersion: 5 });
  await Promise.all([srv.server.close(), srv.server.close()]);
  await srv.close();
});
