import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { SysTopics } from '../../src/observability/sys-topics.js';
import { connectClient, type Inbox, type Received, subscribeCodes } from '../helpers/mqtt-client.js';
import { tempDataDir } from '../helpers/platform-server.js';
import { restartServer, startServer, type TestServer } from '../helpers/start-server.js';
import { topics, untilMarker } from '../helpers/sync.js';

const VERSION_TOPIC = '$SYS/broker/version';
const UPTIME_TOPIC = '$SYS/broker/uptime';

/** `$SYS` every second on `srv`'s broker, as `devgate broker --sys-interval 1` runs it. */
function runSys(t: TestContext, srv: TestServer): SysTopics {
  const sys = new SysTopics(srv.server.broker, { intervalSec: 1, version: '9.8.7' });
  sys.start();
  t.after(() => sys.stop());
  return sys;
}

/** Consumes messages until one matches; returns it. */
async function nextWhere(inbox: Inbox, match: (m: Received) => boolean, ms = 5000): Promise<Received> {
  const deadline = Date.now() + ms;
  for (;;) {
    const message = await inbox.next(Math.max(1, deadline - Date.now()));
    if (match(message)) return message;
  }
}

/** Messages up to and including the next live (not retained) uptime, which ends each update. */
async function nextUpdate(inbox: Inbox): Promise<Received[]> {
  const update: Received[] = [];
  for (;;) {
    const message = await inbox.next(5000);
    update.push(message);
    if (message.topic === UPTIME_TOPIC && !message.packet.retain) return update;
  }
}

const EXPECTED_TOPICS = [
  VERSION_TOPIC,
  UPTIME_TOPIC,
  '$SYS/broker/clients/connected',
  '$SYS/broker/clients/disconnected',
  '$SYS/broker/clients/total',
  '$SYS/broker/clients/maximum',
  '$SYS/broker/messages/received',
  '$SYS/broker/messages/sent',
  '$SYS/broker/messages/stored',
  '$SYS/broker/subscriptions/count',
  '$SYS/broker/retained messages/count',
  '$SYS/broker/bytes/received',
  '$SYS/broker/bytes/sent',
  ...['messages/received', 'messages/sent', 'bytes/received', 'bytes/sent', 'connections'].flatMap((name) =>
    ['1min', '5min', '15min'].map((window) => `$SYS/broker/load/${name}/${window}`),
  ),
];

test('$SYS/broker/… topics are retained, cover mosquitto names, and follow the clients', async (t) => {
  const srv = await startServer(t);
  runSys(t, srv);
  const watcher = await connectClient(t, srv.port, { protocolVersion: 5 });
  await watcher.client.subscribeAsync('$SYS/broker/#', { qos: 0 });
  const retained = await watcher.inbox.take(EXPECTED_TOPICS.length);
  assert.deepEqual(topics(retained).sort(), [...EXPECTED_TOPICS].sort());
  assert.ok(retained.every((m) => m.packet.retain)); // [MQTT-3.3.1-8]
  const value = (topic: string): string => retained.find((m) => m.topic === topic)!.payload.toString();
  assert.equal(value(VERSION_TOPIC), 'devgate version 9.8.7');
  assert.match(value(UPTIME_TOPIC), /^\d+ seconds$/);
  assert.match(value('$SYS/broker/load/connections/1min'), /^\d+\.\d\d$/);

  await connectClient(t, srv.port, { protocolVersion: 4 });
  const connected = await nextWhere(
    watcher.inbox,
    (m) => m.topic === '$SYS/broker/clients/connected' && m.payload.toString() === '2',
  );
  assert.equal(connected.packet.retain, false); // a live update, not the retained copy
  const subscriptions = srv.server.broker.retained.match('$SYS/broker/subscriptions/count', Date.now());
  assert.equal(subscriptions[0]?.payload.toString(), '1');
});

test('$SYS values are republished only when changed (uptime always); its own deliveries are not counted', async (t) => {
  const srv = await startServer(t);
  runSys(t, srv);
  const watcher = await connectClient(t, srv.port, { protocolVersion: 4 });
  await watcher.client.subscribeAsync('$SYS/#', { qos: 0 });
  await watcher.inbox.take(EXPECTED_TOPICS.length); // the retained copies
  await nextUpdate(watcher.inbox); // may still carry the watcher's own connection and subscription
  const quiet = await nextUpdate(watcher.inbox);
  const republished = topics(quiet);
  assert.ok(!republished.includes(VERSION_TOPIC), `version republished: ${republished.join(', ')}`);
  assert.ok(!republished.includes('$SYS/broker/messages/sent'), 'messages/sent changed without traffic');
  assert.ok(!republished.includes('$SYS/broker/bytes/sent'), 'bytes/sent changed without traffic');

  // Dozens of $SYS deliveries were written, yet the reported counts did not move.
  const metrics = srv.metrics;
  assert.ok(metrics.sysMessagesSent >= EXPECTED_TOPICS.length + 2);
  assert.equal(metrics.messagesSent, metrics.sysMessagesSent);
  const sent = srv.server.broker.retained.match('$SYS/broker/messages/sent', Date.now());
  assert.equal(sent[0]?.payload.toString(), '0');
});

test('[MQTT-4.7.2-1] a subscription to # gets no $SYS topic; a client cannot publish to $SYS', async (t) => {
  const srv = await startServer(t);
  runSys(t, srv);
  const everything = await connectClient(t, srv.port, { protocolVersion: 5 });
  await everything.client.subscribeAsync('#', { qos: 0 });
  const sysWatcher = await connectClient(t, srv.port, { protocolVersion: 5 });
  await sysWatcher.client.subscribeAsync('$SYS/#', { qos: 0 });
  await nextUpdate(sysWatcher.inbox); // an update went out after `#` was subscribed
  const forger = await connectClient(t, srv.port, { protocolVersion: 4 });
  await forger.client.publishAsync(VERSION_TOPIC, 'forged', { qos: 1, retain: true });
  const got = await untilMarker(forger.client, everything);
  assert.deepEqual(topics(got), []);

  const late = await connectClient(t, srv.port, { protocolVersion: 5 });
  await late.client.subscribeAsync(VERSION_TOPIC, { qos: 0 });
  assert.equal((await late.inbox.next()).payload.toString(), 'devgate version 9.8.7');
  assert.ok(!sysWatcher.inbox.all.some((m) => m.payload.toString() === 'forged'));
  assert.equal(srv.metrics.publishDenied.reserved, 1);
});

test('$SYS readable only where the ACL file has a read rule for it (# does not cover $SYS)', async (t) => {
  const aclFile = join(await tempDataDir(t), 'acl');
  await writeFile(aclFile, 'topic read #\ntopic read $SYS/broker/clients/#\ntopic read $SYS/broker/uptime\n');
  const srv = await startServer(t, { auth: { allowAnonymous: true, aclFile } });
  runSys(t, srv);
  const client = await connectClient(t, srv.port, { protocolVersion: 5 });
  assert.deepEqual(await subscribeCodes(client.client, ['$SYS/#', VERSION_TOPIC]), [0x80, 0x80]);
  assert.deepEqual(await subscribeCodes(client.client, ['$SYS/broker/clients/+', UPTIME_TOPIC]), [0, 0]);
  const allowed = await client.inbox.take(5);
  assert.deepEqual(topics(allowed).sort(), [
    '$SYS/broker/clients/connected',
    '$SYS/broker/clients/disconnected',
    '$SYS/broker/clients/maximum',
    '$SYS/broker/clients/total',
    UPTIME_TOPIC,
  ]);
  // A whole live update (it ends with the uptime) brought nothing outside the read rules.
  const update = await nextUpdate(client.inbox);
  assert.ok(
    update.every((m) => m.topic === UPTIME_TOPIC || m.topic.startsWith('$SYS/broker/clients/')),
    topics(update).join(', '),
  );
});

test('$SYS values are not refused by a full retained quota, and never persisted across a restart', async (t) => {
  const srv = await startServer(t, { persistence: true, limits: { maxRetainedMessages: 1 } });
  const sys = runSys(t, srv);
  const client = await connectClient(t, srv.port, { protocolVersion: 5 });
  await client.client.publishAsync('app/state', 'kept', { qos: 1, retain: true });
  // Refused with 0x97 Quota exceeded (mqtt.js rejects): the quota is full for clients.
  await client.client
    .publishAsync('app/other', 'over quota', { qos: 1, retain: true })
    .catch(() => undefined);
  sys.update();
  const broker = srv.server.broker;
  assert.deepEqual(broker.retained.match('app/other', Date.now()), []);
  assert.equal(
    broker.retained.match(VERSION_TOPIC, Date.now())[0]?.payload.toString(),
    'devgate version 9.8.7',
  );
  sys.stop();

  const restarted = await restartServer(srv);
  const after = restarted.server.broker.retained;
  assert.equal(after.match('app/state', Date.now()).length, 1, 'client retained messages are persisted');
  assert.deepEqual(after.match('$SYS/#', Date.now()), [], 'no $SYS value came back from the store');
});
