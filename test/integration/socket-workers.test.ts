import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { allowAll, type ConnectionInfo } from '../../src/broker/auth.js';
import { connectClient, Inbox, serverClose } from '../helpers/mqtt-client.js';
import { RawClient } from '../helpers/raw-client.js';
import { assertSlowConsumerDrops } from '../helpers/slow-consumer.js';
import { startServer } from '../helpers/start-server.js';
import { client, peerFingerprint, reloadableCert, start, urls } from '../helpers/transport-clients.js';
import { nextEvent, WAIT_MS, within } from '../helpers/wait.js';

/** Two workers: enough to see connections spread and a crash leave the other one serving. */
const WORKERS = 2;

function openFiles(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean, what: string, ms = WAIT_MS * 2): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('socket workers (docs/decisions/0006)', () => {
  test('publish/subscribe over tcp and tls with MQTT 3.1.1 and 5.0; the broker sees each client address', async (t) => {
    const seen: ConnectionInfo[] = [];
    const authenticator = {
      authenticate: (request: Parameters<typeof allowAll.authenticate>[0]) => {
        seen.push(request.connection);
        return allowAll.authenticate(request);
      },
    };
    const { server } = await start(
      t,
      { socketWorkers: WORKERS, httpPort: null, httpsPorts: [] },
      { authenticator, authorizer: allowAll },
    );
    for (const transport of ['tcp', 'tls'] as const) {
      for (const protocolVersion of [4, 5] as const) {
        const url = urls(server)[transport];
        const subscriber = await client(t, url, { protocolVersion });
        const publisher = await client(t, url, { protocolVersion });
        const topic = `sw/${transport}/${protocolVersion}`;
        await subscriber.subscribeAsync(topic, { qos: 1 });
        const received = new Promise<string>((resolve) =>
          subscriber.once('message', (_topic, payload) => resolve(String(payload))),
        );
        await publisher.publishAsync(topic, `over ${transport}`, { qos: 1 });
        assert.equal(await within(received, WAIT_MS, `message over ${transport}`), `over ${transport}`);
      }
    }
    assert.equal(seen.length, 8);
    assert.deepEqual([...new Set(seen.map((info) => info.transport))].sort(), ['tcp', 'tls']);
    for (const info of seen) {
      assert.equal(info.remoteAddress, '127.0.0.1');
      assert.ok((info.remotePort ?? 0) > 0, 'the client port comes through');
      // The listener's port too: connections per listener in /metrics.
      const listener = info.transport === 'tls' ? server.addresses.mqtts : server.addresses.mqtt;
      assert.equal(info.localPort, listener);
    }
  });

  test('[MQTT-4.6.0-2] 1,000 QoS 1 messages of 1 KiB cross the workers in order, and a 300 KiB one whole', async (t) => {
    const srv = await startServer(t, { socketWorkers: WORKERS });
    const sub = await connectClient(t, srv.port, { protocolVersion: 5 });
    await sub.client.subscribeAsync('sw/order', { qos: 1 });
    const pub = await connectClient(t, srv.port, { protocolVersion: 4 });
    for (let i = 0; i < 1000; i++) pub.client.publish('sw/order', `${i}`.padEnd(1024, '.'), { qos: 1 });
    const got = await sub.inbox.take(1000);
    assert.deepEqual(
      got.map((m) => Number.parseInt(m.payload.toString(), 10)),
      [...Array(1000).keys()],
    );
    const big = Buffer.alloc(300 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = i % 253;
    await pub.client.publishAsync('sw/order', big, { qos: 1 });
    const [whole] = await sub.inbox.take(1);
    assert.ok(whole!.payload.equals(big), 'payload larger than one pipe frame arrives intact');
  });

  test('[MQTT-3.1.2-24] keepalive is enforced for a silent client behind a worker', async (t) => {
    const srv = await startServer(t, { socketWorkers: WORKERS });
    const { raw } = await RawClient.connected(t, srv.port, { protocolVersion: 4, keepalive: 1 });
    const started = Date.now();
    await raw.expectClosed(4000);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 1000 && elapsed < 3000, `closed after ${elapsed} ms (1.5 × keepalive is 1.5 s)`);
  });

  test('[MQTT-4.13.1-1] a malformed packet closes the connection (v5: DISCONNECT 0x81 first)', async (t) => {
    const srv = await startServer(t, { socketWorkers: WORKERS });
    const { raw } = await RawClient.connected(t, srv.port, { protocolVersion: 5 });
    raw.version = 5;
    // PUBLISH QoS 1 with Remaining Length 2: no room for a packet identifier.
    raw.sendRaw(Buffer.from([0x32, 0x02, 0x00, 0x00]));
    const closed = await raw.expectClosed();
    assert.equal(closed.disconnect?.reasonCode, 0x81);
  });

  test('maxWriteBufferBytes: QoS 0 to a consumer that stops reading is dropped and counted; others unaffected', async (t) => {
    // The worker reports its socket backlog: the limit applies as with a local socket.
    const srv = await startServer(t, { socketWorkers: WORKERS, limits: { maxWriteBufferBytes: 64 * 1024 } });
    await assertSlowConsumerDrops(t, srv, 'sw/slow');
  });

  test('a crashed worker is replaced: its clients are disconnected, the others and new clients are served', async (t) => {
    const srv = await startServer(t, { socketWorkers: WORKERS });
    const clients = [];
    for (let i = 0; i < 8; i++) clients.push(await connectClient(t, srv.port, { protocolVersion: 4 }));
    const pool = srv.server.socketWorkers!;
    // The kernel picks the accepting worker: the victim is the one holding the most sockets.
    const [victim, survivor] = [...pool.pids].sort((a, b) => openFiles(b) - openFiles(a));
    assert.ok(victim !== undefined && survivor !== undefined);
    const closed = new Set<number>();
    for (const [i, c] of clients.entries()) c.client.once('close', () => closed.add(i));
    process.kill(victim, 'SIGKILL');
    await until(() => closed.size > 0, "the victim's clients to be disconnected");
    await new Promise((resolve) => setTimeout(resolve, 300));
    await until(() => pool.pids.length === WORKERS && !pool.pids.includes(victim), 'a replacement worker');
    // Everyone the survivor holds still works; new clients are served.
    const sub = await connectClient(t, srv.port, { protocolVersion: 5 });
    await sub.client.subscribeAsync('sw/after', { qos: 1 });
    const inbox = new Inbox(sub.client);
    for (const [i, c] of clients.entries()) {
      if (closed.has(i)) continue;
      await c.client.publishAsync('sw/after', `from ${i}`, { qos: 1 });
      const [message] = await inbox.take(1);
      assert.equal(message?.payload.toString(), `from ${i}`);
    }
    assert.ok(pidAlive(survivor));
    assert.equal(srv.metrics.socketWorkerExits, 1, 'devgate_socket_worker_exits_total');
    assert.equal(srv.metrics.socketWorkersRunning, WORKERS, 'devgate_socket_workers');
  });

  test('[MQTT-3.14.2-1] shutdown: v5 clients get DISCONNECT 0x8B server shutting down; the workers exit', async (t) => {
    const srv = await startServer(t, { socketWorkers: WORKERS });
    const pids = srv.server.socketWorkers!.pids;
    const c = await connectClient(t, srv.port, { protocolVersion: 5 });
    // Ctrl+C or a service manager signals every process: the workers leave the ending to the broker.
    for (const pid of pids) {
      process.kill(pid, 'SIGINT');
      process.kill(pid, 'SIGTERM');
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(pids.every(pidAlive), 'the workers ignore SIGINT and SIGTERM');
    const closed = serverClose(c.client);
    await srv.close();
    const { disconnect } = await closed;
    assert.equal(disconnect?.reasonCode, 0x8b);
    await until(() => pids.every((pid) => !pidAlive(pid)), 'the workers to exit');
  });

  test('a reloaded TLS certificate reaches the workers: the next handshake presents it', async (t) => {
    const cert = await reloadableCert(t);
    const { server } = await start(
      t,
      {
        socketWorkers: WORKERS,
        httpPort: null,
        httpsPorts: [],
        tlsCert: cert.certPath,
        tlsKey: cert.keyPath,
      },
      { tlsWatchIntervalMs: 20 },
    );
    const port = server.addresses.mqtts!;
    // The kernel picks the worker of each connection: several handshakes reach both.
    for (let i = 0; i < 4; i++) assert.equal(await peerFingerprint(port), cert.first);
    const reloaded = nextEvent(server.tls!, 'reload', 5000);
    await cert.swap();
    await reloaded;
    // The workers get the new pair over IPC right after the reload: wait for 8 new handshakes in a row.
    let inARow = 0;
    const deadline = Date.now() + 5000;
    while (inARow < 8 && Date.now() < deadline) {
      inARow = (await peerFingerprint(port)) === cert.second ? inARow + 1 : 0;
    }
    assert.equal(inARow, 8, 'every worker presents the reloaded certificate');
  });
});
