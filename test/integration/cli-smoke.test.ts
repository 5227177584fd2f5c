import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { connectAsync } from 'mqtt';
import type { IPubackPacket } from 'mqtt-packet';
import { connackCode, connectRefused, nextPacketOf, subscribeCodes } from '../helpers/mqtt-client.js';
import { tempDataDir } from '../helpers/platform-server.js';
import {
  type Cli,
  cliExit,
  cliStarted,
  localPortArgs,
  readDataFile,
  spawnCli,
} from '../helpers/spawn-cli.js';
import { WAIT_MS, within } from '../helpers/wait.js';

function run(t: TestContext, args: string[], input?: string): Cli {
  return spawnCli(t, args, { pipeStdin: true, ...(input === undefined ? {} : { input }) });
}

const ONLY_MQTT = localPortArgs('off');

async function startBroker(
  t: TestContext,
  dataDir: string,
  extra: string[],
  openFilesLimit?: number,
): Promise<{ cli: Cli; port: number }> {
  const args = ['broker', '--data-dir', dataDir, '--log-level', 'warn', ...ONLY_MQTT, ...extra];
  const cli =
    openFilesLimit === undefined ? run(t, args) : spawnCli(t, args, { pipeStdin: true, openFilesLimit });
  await cliStarted(cli, 'the broker to start');
  const listeners = await readDataFile<{ mqtt: number }>(dataDir, 'listeners.json');
  return { cli, port: listeners.mqtt };
}

describe('devgate CLI', () => {
  test('broker --allow-anonymous: listeners.json, a round trip, SIGTERM exits 0', async (t) => {
    const dataDir = await tempDataDir(t, 'devgate-cli-');
    const { cli, port } = await startBroker(t, dataDir, ['--allow-anonymous']);
    assert.deepEqual(JSON.parse(await readFile(join(dataDir, 'listeners.json'), 'utf8')), { mqtt: port });
    assert.match(cli.output.stdout, new RegExp(`mqtt +mqtt://127\\.0\\.0\\.1:${port}`));
    const client = await connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, protocolVersion: 5 });
    t.after(() => client.endAsync(true));
    await client.subscribeAsync('smoke/t', { qos: 1 });
    const message = new Promise<string>((resolve) =>
      client.once('message', (_topic, payload) => resolve(String(payload))),
    );
    await client.publishAsync('smoke/t', 'hello', { qos: 1 });
    assert.equal(await within(message, WAIT_MS, 'the message'), 'hello');
    const disconnected = new Promise<void>((resolve) => client.once('close', () => resolve()));
    cli.child.kill('SIGTERM');
    assert.equal(await cliExit(cli), 0);
    await within(disconnected, WAIT_MS, 'the client to be disconnected');
    await assert.rejects(stat(join(dataDir, 'listeners.json')), { code: 'ENOENT' });
  });

  test('broker --socket-workers 2: the summary names the workers; a round trip; SIGTERM ends them too (decision 0006)', async (t) => {
    const dataDir = await tempDataDir(t, 'devgate-cli-');
    const { cli, port } = await startBroker(t, dataDir, ['--allow-anonymous', '--socket-workers', '2']);
    const row = /sockets +2 socket worker processes \(pids (\d+), (\d+)\)/.exec(cli.output.stdout);
    assert.ok(row !== null, cli.output.stdout);
    const pids = [Number(row[1]), Number(row[2])];
    const client = await connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, protocolVersion: 4 });
    t.after(() => client.endAsync(true));
    await client.subscribeAsync('smoke/workers', { qos: 1 });
    const message = new Promise<string>((resolve) =>
      client.once('message', (_topic, payload) => resolve(String(payload))),
    );
    await client.publishAsync('smoke/workers', 'relayed', { qos: 1 });
    assert.equal(await within(message, WAIT_MS, 'the message'), 'relayed');
    cli.child.kill('SIGTERM');
    assert.equal(await cliExit(cli), 0);
    for (const pid of pids)
      assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `worker ${pid} exited`);
  });

  test('[operations] near the open-files limit: one warning; past it connections are dropped and the broker keeps serving', async (t) => {
    const dataDir = await tempDataDir(t, 'devgate-cli-');
    const { cli, port } = await startBroker(t, dataDir, ['--allow-anonymous'], 200);
    const sockets = Array.from({ length: 260 }, () => netConnect({ host: '127.0.0.1', port }));
    t.after(() => {
      for (const socket of sockets) socket.destroy();
    });
    const settled = sockets.map(
      (socket) =>
        new Promise<boolean>((resolve) => {
          socket.once('connect', () => resolve(true));
          socket.once('error', () => resolve(false));
        }),
    );
    await within(Promise.all(settled), WAIT_MS * 2, 'the connection attempts');
    await within(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (cli.output.stdout.includes('connections near the open-files limit')) resolve();
        };
        cli.child.stdout!.on('data', check);
        check();
      }),
      WAIT_MS,
      'the open-files warning',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(
      sockets.some((socket) => socket.destroyed),
      'connections past the limit were dropped',
    );
    assert.equal(
      cli.output.stdout.split('connections near the open-files limit').length - 1,
      1,
      'warned once',
    );
    for (const socket of sockets) socket.destroy();
    // Until the broker has seen those closes its files are still in use: a connect may be dropped.
    const deadline = Date.now() + WAIT_MS;
    let client: Awaited<ReturnType<typeof connectAsync>> | undefined;
    while (client === undefined) {
      try {
        client = await connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, protocolVersion: 5 });
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    t.after(() => client.endAsync(true));
    await client.publishAsync('smoke/after', 'still serving', { qos: 1 });
    assert.equal(cli.child.exitCode, null, 'still running');
  });

  test('passwd + password file + ACL: bad credentials refused, unauthorized subscribe denied', async (t) => {
    const dir = await tempDataDir(t, 'devgate-cli-');
    const passwd = join(dir, 'passwd');
    const acl = join(dir, 'acl');
    const added = run(t, ['passwd', passwd, 'alice', '--password', 'wonderland', '--iterations', '1000']);
    assert.equal(await cliExit(added), 0);
    const fromStdin = run(t, ['passwd', passwd, 'bob', '--iterations', '1000'], 'builder\n');
    assert.equal(await cliExit(fromStdin), 0, fromStdin.output.stderr);
    assert.match(await readFile(passwd, 'utf8'), /^alice:\$7\$1000\$[^\n]+\nbob:\$7\$1000\$/);
    await writeFile(acl, 'user alice\ntopic readwrite alice/#\n');
    const { cli, port } = await startBroker(t, join(dir, 'data'), [
      '--password-file',
      passwd,
      '--acl-file',
      acl,
    ]);

    const wrong = await connectRefused(t, port, { protocolVersion: 5, username: 'alice', password: 'nope' });
    assert.equal(connackCode(wrong!), 0x86);
    const wrongV4 = await connectRefused(t, port, { protocolVersion: 4, username: 'mallory', password: 'x' });
    assert.equal(connackCode(wrongV4!), 4);
    const anonymous = await connectRefused(t, port, { protocolVersion: 5 });
    assert.equal(connackCode(anonymous!), 0x87);

    const alice = await connectAsync(`mqtt://127.0.0.1:${port}`, {
      reconnectPeriod: 0,
      protocolVersion: 5,
      username: 'alice',
      password: 'wonderland',
    });
    t.after(() => alice.endAsync(true));
    assert.deepEqual(await subscribeCodes(alice, 'alice/#', { qos: 1 }), [1]);
    assert.deepEqual(await subscribeCodes(alice, 'bob/#', { qos: 1 }), [0x80]); // ACL refusal: unspecified
    // Allowed publish is delivered (the per-delivery read check passes); a denied one gets PUBACK 0x87.
    const message = new Promise<string>((resolve) => alice.once('message', (topic) => resolve(topic)));
    await alice.publishAsync('alice/x', 'mine', { qos: 1 });
    assert.equal(await within(message, WAIT_MS, 'alice/x'), 'alice/x');
    const puback = await nextPacketOf<IPubackPacket>(alice, 'puback', () => {
      alice.publish('bob/x', 'not mine', { qos: 1 }, () => undefined);
    });
    assert.equal(puback.reasonCode, 0x87);
    const bob = await connectAsync(`mqtt://127.0.0.1:${port}`, {
      reconnectPeriod: 0,
      protocolVersion: 4,
      username: 'bob',
      password: 'builder',
    });
    t.after(() => bob.endAsync(true));
    assert.deepEqual(await subscribeCodes(bob, 'alice/#', { qos: 1 }), [0x80]);
    cli.child.kill('SIGINT');
    assert.equal(await cliExit(cli), 0);
  });

  test('invalid settings exit with code 2 and say why', async (t) => {
    const bad = run(t, ['broker', '--mqtt-port', 'banana']);
    assert.equal(await cliExit(bad), 2);
    assert.match(bad.output.stderr, /--mqtt-port: expected a port 0-65535 or "off", got "banana"/);
    const unknown = run(t, ['broker', '--mqtt-prot', '1']);
    assert.equal(await cliExit(unknown), 2);
    assert.match(unknown.output.stderr, /Unknown option '--mqtt-prot'/);
    const dir = await tempDataDir(t, 'devgate-cli-');
    const brokenAcl = join(dir, 'acl');
    await writeFile(brokenAcl, 'topic sometimes a/b\n');
    const acl = run(t, [
      'broker',
      '--data-dir',
      dir,
      '--allow-anonymous',
      '--acl-file',
      brokenAcl,
      ...ONLY_MQTT,
    ]);
    assert.equal(await cliExit(acl), 2);
    assert.match(acl.output.stderr, /acl: line 1: access must be read, write, readwrite or deny/);
    const command = run(t, ['serve']);
    assert.equal(await cliExit(command), 2);
    assert.match(command.output.stderr, /unknown command "serve"/);
  });

  test('--version and --help', async (t) => {
    const pkg = JSON.parse(
      await readFile(new URL('../../../package.json', import.meta.url), 'utf8').catch(() => '{}'),
    );
    const version = run(t, ['--version']);
    assert.equal(await cliExit(version), 0);
    if (typeof pkg.version === 'string') assert.equal(version.output.stdout.trim(), pkg.version);
    assert.match(version.output.stdout, /^\d+\.\d+\.\d+/);
    const help = run(t, ['broker', '--help']);
    assert.equal(await cliExit(help), 0);
    for (const flag of ['--data-dir', '--https-port', '--max-packet-size', 'DEVGATE_MAX_CLIENT_ID_LENGTH']) {
      assert.ok(help.output.stdout.includes(flag), flag);
    }
  });

  test('without --allow-anonymous or a password file every client is refused (0x87) and the summary says so', async (t) => {
    const dataDir = await tempDataDir(t, 'devgate-cli-');
    const { cli, port } = await startBroker(t, dataDir, []);
    assert.match(cli.output.stdout, /NO CREDENTIALS CONFIGURED/);
    const refused = await connectRefused(t, port, { protocolVersion: 5 });
    assert.equal(connackCode(refused!), 0x87);
    cli.child.kill('SIGTERM');
    assert.equal(await cliExit(cli), 0);
  });
});
