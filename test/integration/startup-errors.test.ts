import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chown, readdir, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { listenOn } from '../../src/mqtt/transport/listen.js';
import { ListenError } from '../../src/mqtt/transport/listen-error.js';
import { ensureSelfSignedCert } from '../../src/mqtt/transport/self-signed.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createServer as createDevgateServer } from '../../src/server.js';
import { tempDataDir } from '../helpers/platform-server.js';
import { type Cli, cliExit, spawnCli } from '../helpers/spawn-cli.js';

const TIMEOUT_MS = 20_000;

/** Every listener off but the ones a test turns on. */
const ALL_OFF = ['--mqtt-port', 'off', '--mqtts-port', 'off', '--http-port', 'off', '--https-port', 'off'];

/** A port on 127.0.0.1 held by this process for the test. */
async function busyPort(t: TestContext): Promise<number> {
  const holder: Server = createServer();
  const port = await listenOn(holder, '127.0.0.1', 0);
  t.after(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  return port;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Exit code 2 and exactly `line` on stderr: no stack, no JSON log, nothing on stdout. */
async function assertOneLine(cli: Cli, line: string): Promise<void> {
  assert.equal(await cliExit(cli), 2, cli.output.stderr);
  assert.equal(cli.output.stderr, `${line}\n`);
  assert.equal(cli.output.stdout, '');
}

function run(t: TestContext, args: readonly string[], runAs?: string): Cli {
  return spawnCli(t, args, { timeoutMs: TIMEOUT_MS, ...(runAs === undefined ? {} : { runAs }) });
}

/** Why the low-port test cannot run here, or undefined when it can. */
function lowPortSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to drop to nobody (runuser)';
  try {
    execFileSync('runuser', ['-u', 'nobody', '--', process.execPath, '-e', '0'], { stdio: 'ignore' });
  } catch {
    return 'runuser -u nobody is not available';
  }
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
    if (first <= 80) return `unprivileged users may bind from port ${first} on this kernel`;
  } catch {
    // No such sysctl (not Linux, or an old kernel): ports below 1024 are privileged.
  }
  return undefined;
}

describe('start-up errors are one line naming the option (exit code 2)', () => {
  test('a busy --mqtt-port: one line, exit 2, and a fresh data directory is not created', async (t) => {
    const port = await busyPort(t);
    const dataDir = join(await tempDataDir(t, 'devgate-busy-'), 'data');
    const cli = run(t, [
      'start',
      '--data-dir',
      dataDir,
      '--host',
      '127.0.0.1',
      ...ALL_OFF,
      '--mqtt-port',
      String(port),
    ]);
    await assertOneLine(
      cli,
      `devgate start: cannot listen on 127.0.0.1:${port} (--mqtt-port): address already in use`,
    );
    assert.equal(await exists(dataDir), false, 'nothing written: no data directory, no platform.sqlite');
  });

  test('a busy port of an existing data directory: nothing is added to it', async (t) => {
    const port = await busyPort(t);
    const dataDir = await tempDataDir(t, 'devgate-busy-');
    const args = ['--data-dir', dataDir, '--host', '127.0.0.1', ...ALL_OFF, '--mqtt-port', '0'];
    const cli = run(t, ['start', ...args, '--http-port', String(port)]);
    await assertOneLine(
      cli,
      `devgate start: cannot listen on 127.0.0.1:${port} (--http-port): address already in use`,
    );
    assert.deepEqual(await readdir(dataDir), []);
  });

  for (const flag of ['--mqtt-port', '--mqtts-port', '--http-port', '--https-port']) {
    test(`broker: a busy ${flag} names ${flag}`, async (t) => {
      const port = await busyPort(t);
      const dataDir = join(await tempDataDir(t, 'devgate-busy-'), 'data');
      // The other listeners on free ports, so the busy one is not the first to be checked.
      const free = ['--mqtt-port', '0', '--mqtts-port', '0', '--http-port', '0', '--https-port', '0'];
      const args = ['broker', '--allow-anonymous', '--data-dir', dataDir, '--host', '127.0.0.1', ...free];
      const cli = run(t, [...args, flag, String(port)]);
      await assertOneLine(
        cli,
        `devgate broker: cannot listen on 127.0.0.1:${port} (${flag}): address already in use`,
      );
      assert.equal(await exists(dataDir), false, 'no self-signed certificate, no data directory');
    });
  }

  test('a missing certificate names --tls-cert; a missing key names --tls-key', async (t) => {
    const dir = await tempDataDir(t, 'devgate-tls-');
    const { certPath, keyPath } = await ensureSelfSignedCert(join(dir, 'certs'));
    const missing = join(dir, 'missing.pem');
    const base = ['broker', '--allow-anonymous', '--data-dir', join(dir, 'data'), '--host', '127.0.0.1'];
    const tls = [...ALL_OFF, '--mqtts-port', '0'];
    const noCert = run(t, [...base, ...tls, '--tls-cert', missing, '--tls-key', keyPath]);
    await assertOneLine(
      noCert,
      `devgate broker: cannot read --tls-cert ${missing}: no such file or directory`,
    );
    const noKey = run(t, [...base, ...tls, '--tls-cert', certPath, '--tls-key', missing]);
    await assertOneLine(noKey, `devgate broker: cannot read --tls-key ${missing}: no such file or directory`);
    const notPem = join(dir, 'not.pem');
    await writeFile(notPem, 'not a certificate\n');
    const startArgs = ['start', '--data-dir', join(dir, 'data'), '--host', '127.0.0.1', ...tls];
    const bad = run(t, [...startArgs, '--tls-cert', notPem, '--tls-key', keyPath]);
    assert.equal(await cliExit(bad), 2, bad.output.stderr);
    assert.match(
      bad.output.stderr,
      /^devgate start: --tls-cert \S+ \/ --tls-key \S+: the certificate cannot be parsed .+\n$/,
    );
    assert.equal(await exists(join(dir, 'data')), false);
  });

  test('a data directory that cannot be made names --data-dir', async (t) => {
    const dir = await tempDataDir(t, 'devgate-dir-');
    const file = join(dir, 'a-file');
    await writeFile(file, '');
    const dataDir = join(file, 'data');
    const cli = run(t, [
      'start',
      '--data-dir',
      dataDir,
      '--host',
      '127.0.0.1',
      ...ALL_OFF,
      '--mqtt-port',
      '0',
    ]);
    await assertOneLine(
      cli,
      `devgate start: cannot use data directory ${dataDir} (--data-dir): not a directory`,
    );
  });

  test('as a non-root user: a port below 1024 says how to fix it; a data directory of root names --data-dir', async (t) => {
    const skip = lowPortSkipReason();
    if (skip !== undefined) {
      t.skip(skip);
      return;
    }
    const dir = await tempDataDir(t, 'devgate-nobody-');
    await chown(dir, 65534, 65534);
    const args = ['broker', '--allow-anonymous', '--host', '127.0.0.1', ...ALL_OFF, '--mqtt-port', '0'];
    const low = run(t, [...args, '--data-dir', join(dir, 'data'), '--http-port', '80'], 'nobody');
    assert.equal(await cliExit(low), 2, low.output.stderr);
    const [line, ...more] = low.output.stderr.trimEnd().split('\n');
    assert.deepEqual(more, []);
    assert.ok(
      line!.startsWith(
        'devgate broker: cannot listen on 127.0.0.1:80 (--http-port): permission denied (ports below 1024',
      ),
      line,
    );
    assert.match(line!, /use a port of 1024 or above/);
    assert.match(line!, /setcap 'cap_net_bind_service=\+ep'/);

    const rootOnly = join(await tempDataDir(t, 'devgate-root-'), 'data');
    const denied = run(t, [...args, '--data-dir', rootOnly], 'nobody');
    await assertOneLine(
      denied,
      `devgate broker: cannot use data directory ${rootOnly} (--data-dir): permission denied`,
    );
  });

  for (const workers of [0, 1]) {
    test(`the real bind names the option too (a port taken after the start-up probe), socket workers: ${workers}`, async (t) => {
      const port = await busyPort(t);
      const dataDir = await tempDataDir(t, 'devgate-race-');
      const ports = [...ALL_OFF, '--http-port', '0', '--mqtt-port', String(port)];
      const config = loadConfig({
        argv: ['--data-dir', dataDir, '--host', '127.0.0.1', ...ports, '--socket-workers', String(workers)],
        env: {},
        cwd: dataDir,
      });
      await assert.rejects(createDevgateServer(config, { logger: silentLogger() }), (err: unknown) => {
        assert.ok(err instanceof ListenError, String(err));
        assert.equal(err.message, `cannot listen on 127.0.0.1:${port} (--mqtt-port): address already in use`);
        return true;
      });
    });
  }
});
