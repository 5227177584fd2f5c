import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectClient, uniqueId } from '../helpers/mqtt-client.js';
import { freshDatabase, postgresTestOptions, queryAt } from '../helpers/postgres.js';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { payloads } from '../helpers/sync.js';

const options = postgresTestOptions();

for (const protocolVersion of [4, 5] as const) {
  test(
    `PostgreSQL persistence v${protocolVersion}: a session with queued QoS 1 messages and a retained message survive a restart on a fresh data dir [MQTT-3.1.2-5]`,
    options,
    async (t) => {
      const servers: TestServer[] = [];
      const url = await freshDatabase(t, async () => {
        for (const server of servers) await server.close();
      });
      const keep = {
        protocolVersion,
        clientId: uniqueId('pg-keep'),
        clean: false,
        ...(protocolVersion === 5 && { properties: { sessionExpiryInterval: 3600 } }),
      };
      const first = await startServer(t, { databaseUrl: url });
      servers.push(first);
      const sub = await connectClient(t, first.port, keep);
      await sub.client.subscribeAsync('pg/queue', { qos: 1 });
      await sub.client.endAsync();
      const pub = await connectClient(t, first.port, { protocolVersion });
      await pub.client.publishAsync('pg/queue', 'one', { qos: 1 });
      await pub.client.publishAsync('pg/queue', 'two', { qos: 1 });
      await pub.client.publishAsync('pg/retained', 'kept', { qos: 1, retain: true });
      await pub.client.endAsync();
      await first.close();
      const [queued] = await queryAt<{ n: string }>(url, 'SELECT count(*) AS n FROM engine_outbound');
      assert.equal(queued?.n, '2', 'the queue is in PostgreSQL');

      // A new data dir: whatever comes back can only have come from the database.
      const second = await startServer(t, { databaseUrl: url });
      servers.push(second);
      assert.notEqual(second.dataDir, first.dataDir);
      const back = await connectClient(t, second.port, keep);
      assert.equal(back.connack.sessionPresent, true);
      assert.deepEqual(payloads(await back.inbox.take(2)), ['one', 'two']);
      await back.client.subscribeAsync('pg/retained', { qos: 1 });
      const [retained] = await back.inbox.take(1);
      assert.equal(retained?.packet.retain, true);
      assert.deepEqual(payloads(retained ? [retained] : []), ['kept']);
    },
  );
}
