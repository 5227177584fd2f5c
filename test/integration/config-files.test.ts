import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { connectClient } from '../helpers/mqtt-client.js';
import { tempDataDir } from '../helpers/platform-server.js';
import { cliExit, cliStarted, readDataFile, spawnCli } from '../helpers/spawn-cli.js';

const METRICS_TOKEN = 'metrics-bearer-9c4e1b';

/** One file for both commands: shared listeners at the top, each command's own in its section. */
function combinedYaml(dataDir: string): string {
  return [
    '# devgate configuration',
    'host: 127.0.0.1',
    `dataDir: ${dataDir}`,
    'mqttsPort: off',
    'httpsPorts: off',
    `metricsToken: ${METRICS_TOKEN}`,
    'broker:',
    '  mqttPort: 0',
    '  httpPort: off',
    '  auth:',
    '    allowAnonymous: true',
    'start:',
    '  mqttPort: 0',
    '  httpPort: 0',
    '  platform:',
    '    rootOrgName: Config Org',
    '',
  ].join('\n');
}

describe('config files (built CLI)', () => {
  test('one YAML file drives devgate broker (its section) and --print-config shows values, masked secrets and sources', async (t) => {
    const dir = await tempDataDir(t, 'devgate-config-');
    const file = join(dir, 'devgate.yaml');
    await writeFile(file, combinedYaml(join(dir, 'data')));

    const printed = spawnCli(t, ['broker', '--config', file, '--print-config', '--log-level', 'debug'], {
      env: { DEVGATE_MAX_CONNECTIONS: '500' },
    });
    assert.equal(await cliExit(printed), 0, printed.output.stderr);
    const out = printed.output.stdout;
    assert.ok(!out.includes(METRICS_TOKEN), 'the metrics token is masked');
    assert.match(out, new RegExp(`^metricsToken +\\*{8} +file ${file}: metricsToken$`, 'm'));
    assert.match(
      out,
      new RegExp(`^auth\\.allowAnonymous +true +file ${file}: broker\\.auth\\.allowAnonymous$`, 'm'),
    );
    assert.match(out, /^logLevel +debug +flag --log-level$/m);
    assert.match(out, /^limits\.maxConnections +500 +env DEVGATE_MAX_CONNECTIONS$/m);
    assert.match(out, /^limits\.maxPacketSize +\d+ +default$/m);
    assert.equal(printed.output.stderr, '');

    const cli = spawnCli(t, ['broker', '--config', file]);
    await cliStarted(cli, 'the broker to start from the YAML file');
    const listeners = await readDataFile<{ mqtt: number; http?: number }>(
      join(dir, 'data'),
      'listeners.json',
    );
    assert.equal(listeners.http, undefined, 'broker.httpPort: off');
    await connectClient(t, listeners.mqtt, { protocolVersion: 5 }); // broker.auth.allowAnonymous
    cli.child.kill('SIGTERM');
    assert.equal(await cliExit(cli), 0);
  });

  test('devgate start reads the same file (its own section); JSON files still work', async (t) => {
    const dir = await tempDataDir(t, 'devgate-config-');
    const yaml = join(dir, 'devgate.yaml');
    await writeFile(yaml, combinedYaml(join(dir, 'data')));
    const printed = spawnCli(t, ['start', '--print-config', '--config', yaml]);
    assert.equal(await cliExit(printed), 0, printed.output.stderr);
    assert.match(
      printed.output.stdout,
      new RegExp(`^platform\\.rootOrgName +Config Org +file ${yaml}: start\\.platform\\.rootOrgName$`, 'm'),
    );
    assert.match(printed.output.stdout, new RegExp(`^httpPort +0 +file ${yaml}: start\\.httpPort$`, 'm'));

    const json = join(dir, 'devgate.json');
    await writeFile(json, JSON.stringify({ mqttPort: 1999, platform: { orgDepthLimit: 4 } }));
    const fromJson = spawnCli(t, ['start', '--print-config', '--config', json]);
    assert.equal(await cliExit(fromJson), 0, fromJson.output.stderr);
    assert.match(fromJson.output.stdout, new RegExp(`^mqttPort +1999 +file ${json}: mqttPort$`, 'm'));
    assert.match(
      fromJson.output.stdout,
      new RegExp(`^platform\\.orgDepthLimit +4 +file ${json}: platform\\.orgDepthLimit$`, 'm'),
    );
  });

  test('an unknown key exits 2 naming the key and the file', async (t) => {
    const dir = await tempDataDir(t, 'devgate-config-');
    const file = join(dir, 'typo.yml');
    await writeFile(file, 'broker:\n  mqtPort: 1883\n');
    for (const command of ['broker', 'start']) {
      const cli = spawnCli(t, [command, '--config', file, '--data-dir', join(dir, 'data')]);
      assert.equal(await cliExit(cli), 2);
      assert.ok(cli.output.stderr.includes(`${file}: unknown setting "broker.mqtPort"`), cli.output.stderr);
    }
  });
});
