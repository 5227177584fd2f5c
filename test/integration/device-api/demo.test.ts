import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ensureDemo } from '../../../src/cli/demo.js';
import { startPlatformServer, tempDataDir } from '../../helpers/platform-server.js';

const run = promisify(execFile);

async function hasCommand(name: string): Promise<boolean> {
  try {
    await run('which', [name]);
    return true;
  } catch {
    return false;
  }
}

const mosquitto =
  (await hasCommand('mosquitto_pub')) &&
  (await hasCommand('mosquitto_sub')) &&
  (await hasCommand('mosquitto_rr'));

test('spec §3.9 the README session: mosquitto_pub/mosquitto_sub against `devgate start --demo`', {
  skip: mosquitto ? false : 'mosquitto clients not installed',
}, async (t) => {
  const running = await startPlatformServer(t, await tempDataDir(t));
  const demo = await ensureDemo(running.platform, { orgId: running.admin.root.id, actor: 'system' });
  const [one, two] = demo.devices;
  assert.ok(one !== undefined && two !== undefined);
  const port = String(running.server.addresses.mqtt);
  const common = ['-h', '127.0.0.1', '-p', port, '-u', 'device'];

  await run('mosquitto_pub', [...common, '-P', two.token, '-t', 'ds/Temperature', '-m', '21.5', '-q', '1']);
  const temperature = demo.datastreams.find((d) => d.name === 'Temperature');
  const values = await running.platform.devices.currentValues(two.id);
  assert.equal(values.find((v) => v.dataStreamId === temperature?.id)?.value, 21.5);

  // mosquitto_sub subscribes to downlink/# and receives the diag of its own bad subscription.
  const sub = await run('mosquitto_sub', [
    ...common,
    '-P',
    one.token,
    '-t',
    'downlink/#',
    '-t',
    'ds/#',
    '-v',
    '-C',
    '1',
    '-W',
    '5',
  ]);
  assert.equal(sub.stdout.trim(), 'downlink/diag Subscription to "ds/#" not allowed');

  const v5 = await run('mosquitto_pub', [
    ...common,
    '-P',
    two.token,
    '-V',
    'mqttv5',
    '-q',
    '1',
    '-t',
    'ds/Nope',
    '-m',
    '1',
  ]);
  assert.match(v5.stderr, /Topic Name invalid/);
});
