import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { START_OPTIONS } from '../../src/config/options.js';
import { loadStartConfig } from '../../src/config/start-config.js';
import { tempDataDir } from '../helpers/platform-server.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const UNIT = join(ROOT, 'deploy', 'devgate.service');
const ENV_FILE = join(ROOT, 'deploy', 'devgate.env');
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';
const run = promisify(execFile);

/** `Key=value` lines of a unit or environment file (comments and sections left out). */
function settings(text: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (match === null) continue;
    found.set(match[1]!, [...(found.get(match[1]!) ?? []), match[2]!]);
  }
  return found;
}

describe('deploy/devgate.service', () => {
  test('systemd-analyze verify accepts the unit without a warning', async (t) => {
    if (!existsSync(SYSTEMD_ANALYZE)) {
      t.skip(`${SYSTEMD_ANALYZE} is not installed (systemd hosts only)`);
      return;
    }
    // verify checks that ExecStart's program exists: point it at the node running this test, so
    // the check holds where node is not /usr/bin/node; everything else is the file as shipped.
    const unit = (await readFile(UNIT, 'utf8')).replace(
      'ExecStart=/usr/bin/node ',
      `ExecStart=${process.execPath} `,
    );
    const copy = join(await tempDataDir(t, 'devgate-unit-'), 'devgate.service');
    await writeFile(copy, unit);
    const { stderr } = await run(SYSTEMD_ANALYZE, ['verify', copy]);
    assert.equal(stderr.trim(), '', 'verify printed warnings');
  });

  test('an unprivileged, hardened service that may bind 443, reloads on HUP and keeps the JIT working', async () => {
    const unit = settings(await readFile(UNIT, 'utf8'));
    const one = (key: string): string | undefined => unit.get(key)?.at(-1);
    assert.equal(one('User'), 'devgate');
    assert.equal(one('AmbientCapabilities'), 'CAP_NET_BIND_SERVICE');
    assert.equal(one('CapabilityBoundingSet'), 'CAP_NET_BIND_SERVICE');
    assert.equal(one('ExecReload'), '/bin/kill -HUP $MAINPID');
    assert.equal(one('KillSignal'), 'SIGTERM');
    assert.equal(one('Restart'), 'on-failure');
    assert.equal(one('StateDirectory'), 'devgate');
    assert.equal(one('StateDirectoryMode'), '0700');
    assert.equal(one('ReadWritePaths'), '/var/lib/devgate');
    assert.equal(one('RestrictAddressFamilies'), 'AF_INET AF_INET6 AF_UNIX');
    assert.equal(one('SystemCallFilter'), '@system-service');
    for (const key of [
      'NoNewPrivileges',
      'ProtectHome',
      'PrivateTmp',
      'PrivateDevices',
      'ProtectKernelTunables',
    ])
      assert.equal(one(key), 'yes', key);
    assert.equal(one('ProtectSystem'), 'strict');
    assert.ok(one('LimitNOFILE') !== undefined && one('TimeoutStopSec') !== undefined);
    // V8 compiles to memory it then executes: MemoryDenyWriteExecute=yes kills node at start.
    assert.equal(unit.has('MemoryDenyWriteExecute'), false);
  });

  test('deploy/devgate.env names only real settings, and they load as a devgate start configuration', async (t) => {
    const text = await readFile(ENV_FILE, 'utf8');
    const known = new Set(START_OPTIONS.map((option) => option.env));
    const named = [...text.matchAll(/^#?(DEVGATE_[A-Z0-9_]+)=/gm)].map((m) => m[1]!);
    assert.ok(named.length > 5);
    for (const name of named) assert.ok(known.has(name), `${name} is not a devgate start setting`);
    const env = Object.fromEntries([...settings(text)].map(([key, values]) => [key, values.at(-1)!]));
    const dataDir = await tempDataDir(t, 'devgate-env-');
    const config = loadStartConfig({ argv: [], env: { ...env, DEVGATE_DATA_DIR: dataDir }, cwd: dataDir });
    assert.equal(config.server.dataDir, dataDir);
  });
});
