import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import type { IPubackPacket } from 'mqtt-packet';
import { generate as generateCert } from 'selfsigned';
import { formatPasswordHash, hashPassword } from '../../src/auth/password-hash.js';
import {
  connackCode,
  connectClient,
  connectRefused,
  nextPacketOf,
  subscribeCodes,
} from '../helpers/mqtt-client.js';
import { tempDataDir } from '../helpers/platform-server.js';
import { type Cli, cliExit, cliStarted, readDataFile, spawnCli } from '../helpers/spawn-cli.js';
import { client, peerFingerprint } from '../helpers/transport-clients.js';
import { within } from '../helpers/wait.js';

/** Lines of `devgate broker --log-level info` whose message starts with `msg`. */
/** The log lines these tests read are JSON on stdout (the start-up summary then goes to stderr). */
const JSON_LOGS = { env: { DEVGATE_LOG_FORMAT: 'json' } };

function logLines(cli: Cli, msg: string): Record<string, unknown>[] {
  return cli.output.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => typeof entry.msg === 'string' && entry.msg.startsWith(msg));
}

/** Sends SIGHUP and resolves once the broker logged the end of that reload (the n-th one). */
async function hangup(cli: Cli, n: number): Promise<Record<string, unknown>> {
  process.kill(cli.child.pid!, 'SIGHUP');
  return within(
    new Promise<Record<string, unknown>>((resolve) => {
      const check = (): void => {
        const done = logLines(cli, 'reload done');
        if (done.length >= n) {
          cli.child.stdout!.off('data', check);
          resolve(done[n - 1]!);
        }
      };
      cli.child.stdout!.on('data', check);
      check();
    }),
    cli.timeoutMs,
    `reload ${n} to be logged`,
  );
}

async function passwordLine(user: string, password: string): Promise<string> {
  return `${user}:${formatPasswordHash(await hashPassword(Buffer.from(password), 1000))}`;
}

async function startBroker(t: TestContext, dataDir: string, extra: string[]): Promise<Cli> {
  const args = ['broker', '--data-dir', dataDir, '--host', '127.0.0.1', '--log-level', 'info'];
  const cli = spawnCli(t, [...args, '--http-port', 'off', '--https-port', 'off', ...extra], JSON_LOGS);
  await cliStarted(cli, 'the broker to start');
  return cli;
}

describe('SIGHUP reload of the password and ACL files', () => {
  test('new rules apply to later CONNECT, publish, subscribe and delivery; connections stay; a broken file keeps the old users', async (t) => {
    const dataDir = await tempDataDir(t, 'devgate-reload-');
    const passwd = join(dataDir, 'passwd');
    const acl = join(dataDir, 'acl');
    await writeFile(
      passwd,
      `${await passwordLine('alice', 'one')}\n${await passwordLine('bob', 'builder')}\n`,
    );
    await writeFile(acl, 'user alice\ntopic readwrite room/#\nuser bob\ntopic readwrite room/#\n');
    const files = ['--password-file', passwd, '--acl-file', acl, '--mqtts-port', 'off', '--mqtt-port', '0'];
    const cli = await startBroker(t, dataDir, files);
    const { mqtt: port } = await readDataFile<{ mqtt: number }>(dataDir, 'listeners.json');

    const alice = await connectClient(t, port, { protocolVersion: 5, username: 'alice', password: 'one' });
    const bob = await connectClient(t, port, { protocolVersion: 5, username: 'bob', password: 'builder' });
    assert.deepEqual(await subscribeCodes(alice.client, 'room/news', { qos: 1 }), [1]);
    await bob.client.publishAsync('room/news', 'before', { qos: 1 });
    assert.equal(String((await alice.inbox.next()).payload), 'before');

    // alice: new password, read on room/# revoked, read on status granted; bob removed; carol added.
    const lines = [await passwordLine('alice', 'two'), await passwordLine('carol', 'c')];
    await writeFile(passwd, `${lines.join('\n')}\n`);
    await writeFile(
      acl,
      'user alice\ntopic write room/#\ntopic read status\nuser carol\ntopic readwrite room/#\ntopic write status\n',
    );
    const first = await hangup(cli, 1);
    assert.deepEqual(first.reloaded, { passwordFile: 'reloaded', aclFile: 'reloaded' });

    assert.ok(alice.client.connected && bob.client.connected, 'existing connections are kept');
    assert.equal(
      connackCode(
        (await connectRefused(t, port, { protocolVersion: 5, username: 'bob', password: 'builder' }))!,
      ),
      0x86,
    );
    assert.equal(
      connackCode(
        (await connectRefused(t, port, { protocolVersion: 5, username: 'alice', password: 'one' }))!,
      ),
      0x86,
    );
    await connectClient(t, port, { protocolVersion: 5, username: 'alice', password: 'two' });
    const carol = await connectClient(t, port, { protocolVersion: 4, username: 'carol', password: 'c' });

    // ACL: bob (kept connection, no rules now) may no longer publish; alice may no longer subscribe.
    const refused = await nextPacketOf<IPubackPacket>(bob.client, 'puback', () => {
      bob.client.publish('room/news', 'denied', { qos: 1 }, () => undefined);
    });
    assert.equal(refused.reasonCode, 0x87);
    assert.deepEqual(await subscribeCodes(alice.client, 'room/other', { qos: 1 }), [0x80]);
    // A delivery the ACL now denies stops, though the subscription is still there; the marker
    // on `status` (same publisher, same order) proves the room message was routed before it.
    assert.deepEqual(await subscribeCodes(alice.client, 'status', { qos: 1 }), [1]);
    await carol.client.publishAsync('room/news', 'after', { qos: 1 });
    await carol.client.publishAsync('status', 'marker', { qos: 1 });
    assert.deepEqual(
      (await alice.inbox.until('status')).map((m) => String(m.payload)),
      [],
      'nothing on room/news reached alice',
    );

    // A password file with a syntax error: the previous users stay, the line is logged.
    await writeFile(passwd, `alice:not-a-hash\n${lines[1]}\n`);
    const broken = await hangup(cli, 2);
    assert.deepEqual(broken.reloaded, { passwordFile: 'failed', aclFile: 'reloaded' });
    const [failure] = logLines(cli, 'password file reload failed; keeping the previous one');
    assert.match(String(failure?.reason), /line 1: entry for "alice" is not a \$7\$ or \$6\$ hash/);
    assert.equal(failure?.level, 50);
    await connectClient(t, port, { protocolVersion: 4, username: 'alice', password: 'two' });

    await hangup(cli, 3);
    assert.equal(cli.child.exitCode, null, 'still running after several HUPs');
    assert.ok(alice.client.connected && carol.client.connected);
    cli.child.kill('SIGTERM');
    assert.equal(await cliExit(cli), 0);
  });
});

interface Pair {
  readonly cert: string;
  readonly key: string;
  readonly fingerprint: string;
}

async function pair(
  name: string,
  keyType: 'rsa' | 'ec',
  dates: { from?: Date; to?: Date } = {},
): Promise<Pair> {
  const pems = await generateCert([{ name: 'commonName', value: name }], {
    keyType,
    algorithm: 'sha256',
    ...(dates.from === undefined ? {} : { notBeforeDate: dates.from }),
    ...(dates.to === undefined ? {} : { notAfterDate: dates.to }),
  });
  return { cert: pems.cert, key: pems.private, fingerprint: new X509Certificate(pems.cert).fingerprint256 };
}

async function writePair(dir: string, cert: string, key: string): Promise<string[]> {
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  await writeFile(keyPath, key);
  await writeFile(certPath, cert);
  return ['--tls-cert', certPath, '--tls-key', keyPath];
}

describe('SIGHUP reload of the TLS pair; a pair that cannot work is refused', () => {
  for (const workers of [0, 1]) {
    test(`a new RSA pair is used at once; an EC certificate with the RSA key is refused and the old pair kept (socket workers: ${workers})`, async (t) => {
      const dataDir = await tempDataDir(t, 'devgate-reload-');
      const [first, second, ec] = await Promise.all([
        pair('first', 'rsa'),
        pair('second', 'rsa'),
        pair('ec', 'ec'),
      ]);
      const tlsArgs = await writePair(dataDir, first.cert, first.key);
      const extra = [
        '--allow-anonymous',
        '--mqtt-port',
        'off',
        '--mqtts-port',
        '0',
        '--socket-workers',
        `${workers}`,
      ];
      const cli = await startBroker(t, dataDir, [...extra, ...tlsArgs]);
      const { mqtts: port } = await readDataFile<{ mqtts: number }>(dataDir, 'listeners.json');
      const kept = await client(t, `mqtts://127.0.0.1:${port}`, { protocolVersion: 5 });
      assert.equal(await peerFingerprint(port), first.fingerprint);

      await writePair(dataDir, second.cert, second.key);
      assert.deepEqual((await hangup(cli, 1)).reloaded, { tls: 'reloaded' });
      assert.equal(await peerFingerprint(port), second.fingerprint);

      await writePair(dataDir, ec.cert, second.key);
      assert.deepEqual((await hangup(cli, 2)).reloaded, { tls: 'failed' });
      const [failure] = logLines(cli, 'tls certificate reload failed; keeping the old one');
      assert.match(
        String(failure?.reason),
        /--tls-cert .*cert\.pem \/ --tls-key .*key\.pem: the private key does not match the certificate/,
      );
      assert.equal(await peerFingerprint(port), second.fingerprint);
      await client(t, `mqtts://127.0.0.1:${port}`, { protocolVersion: 4 });
      assert.ok(kept.connected, 'the connection made before both reloads is kept');

      if (workers > 0) {
        const row = /socket worker processes \(pids (\d+)\)/.exec(cli.output.stderr);
        const worker = Number(row?.[1]);
        process.kill(worker, 'SIGHUP'); // as a HUP to the whole process group would
        assert.equal(await peerFingerprint(port), second.fingerprint);
        assert.doesNotThrow(() => process.kill(worker, 0), 'the worker ignored SIGHUP');
      }
      cli.child.kill('SIGTERM');
      assert.equal(await cliExit(cli), 0);
    });
  }

  test('an EC certificate with an RSA key at start: exit 2 and one line naming --tls-cert/--tls-key', async (t) => {
    const dataDir = await tempDataDir(t, 'devgate-reload-');
    const [rsa, ec] = await Promise.all([pair('rsa', 'rsa'), pair('ec', 'ec')]);
    const tlsArgs = await writePair(dataDir, ec.cert, rsa.key);
    const args = ['broker', '--data-dir', dataDir, '--host', '127.0.0.1', '--allow-anonymous'];
    const cli = spawnCli(t, [
      ...args,
      '--mqtt-port',
      '0',
      '--mqtts-port',
      '0',
      '--http-port',
      'off',
      '--https-port',
      'off',
      ...tlsArgs,
    ]);
    assert.equal(await cliExit(cli), 2);
    const lines = cli.output.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, cli.output.stderr);
    assert.match(
      lines[0]!,
      /^devgate broker: --tls-cert \S+cert\.pem \/ --tls-key \S+key\.pem: the private key does not match the certificate \(the certificate's key is EC\)$/,
    );
    assert.doesNotMatch(cli.output.stdout, /"stack"/, 'no stack trace in the log either');
  });

  test('an expired certificate is used with a warning at start and on reload; not-yet-valid too', async (t) => {
    const dataDir = await tempDataDir(t, 'devgate-reload-');
    const day = 24 * 3600 * 1000;
    const expired = await pair('old', 'rsa', {
      from: new Date(Date.now() - 30 * day),
      to: new Date(Date.now() - day),
    });
    const future = await pair('new', 'rsa', {
      from: new Date(Date.now() + day),
      to: new Date(Date.now() + 30 * day),
    });
    const tlsArgs = await writePair(dataDir, expired.cert, expired.key);
    const cli = await startBroker(t, dataDir, [
      '--allow-anonymous',
      '--mqtt-port',
      'off',
      '--mqtts-port',
      '0',
      ...tlsArgs,
    ]);
    const [atStart] = logLines(cli, 'tls certificate: the certificate expired on');
    assert.equal(atStart?.level, 40);
    const { mqtts: port } = await readDataFile<{ mqtts: number }>(dataDir, 'listeners.json');
    assert.equal(await peerFingerprint(port), expired.fingerprint);
    await writePair(dataDir, future.cert, future.key);
    assert.deepEqual((await hangup(cli, 1)).reloaded, { tls: 'reloaded' });
    assert.equal(logLines(cli, 'tls certificate: the certificate is not valid before').length, 1);
    assert.equal(await peerFingerprint(port), future.fingerprint);
  });
});

describe('SIGHUP reload under devgate start', () => {
  test('the platform reloads its TLS pair on HUP (its auth lives in the database) and keeps running and serving', async (t) => {
    const dataDir = await tempDataDir(t, 'devgate-reload-');
    const [first, second] = await Promise.all([pair('first', 'rsa'), pair('second', 'rsa')]);
    const tlsArgs = await writePair(dataDir, first.cert, first.key);
    const args = ['start', '--data-dir', dataDir, '--host', '127.0.0.1', '--log-level', 'info', ...tlsArgs];
    const ports = ['--mqtt-port', 'off', '--mqtts-port', '0', '--http-port', '0', '--https-port', 'off'];
    const cli = spawnCli(t, [...args, ...ports], { ...JSON_LOGS, timeoutMs: 20_000 });
    await cliStarted(cli, 'devgate start');
    const { mqtts: port } = await readDataFile<{ mqtts: number }>(dataDir, 'listeners.json');
    assert.deepEqual((await hangup(cli, 1)).reloaded, { tls: 'unchanged' });
    await writePair(dataDir, second.cert, second.key);
    assert.deepEqual((await hangup(cli, 2)).reloaded, { tls: 'reloaded' });
    assert.equal(await peerFingerprint(port), second.fingerprint);
    assert.equal(cli.child.exitCode, null);
    cli.child.kill('SIGTERM');
    assert.equal(await cliExit(cli), 0);
  });
});
