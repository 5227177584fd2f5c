import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { MqttClient } from 'mqtt';
import { startServer, type TestServer } from '../helpers/start-server.js';

/** The topic sets of the Eclipse Paho interoperability suite (client_test.py / client_test5.py). */
export const topics = ['TopicA', 'TopicA/B', 'Topic/C', 'TopicA/C', '/TopicA'] as const;
export const wildtopics = ['TopicA/+', '+/C', '#', '/#', '/+', '+/+', 'TopicA/#'] as const;
export const nosubscribeTopic = 'test/nosubscribe';

/**
 * One server for a whole paho-style run, configured like the interop broker: everything allowed
 * except subscribing to `test/nosubscribe` (a mosquitto-style ACL file, as an operator would do it).
 */
export async function startInteropServer(t: TestContext): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'devgate-acl-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const aclFile = join(dir, 'acl');
  await writeFile(aclFile, `topic deny ${nosubscribeTopic}\ntopic readwrite #\ntopic readwrite $TopicA/#\n`);
  return startServer(t, { auth: { allowAnonymous: true, aclFile } });
}

/** Paho's cleanRetained: clears every retained message a `#` subscription reveals. */
export async function clearRetained(client: MqttClient, retainedTopics: readonly string[]): Promise<void> {
  for (const topic of retainedTopics) await client.publishAsync(topic, '', { qos: 1, retain: true });
}
