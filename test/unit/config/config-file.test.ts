import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import { OPTIONS, START_OPTIONS } from '../../../src/config/options.js';
import { describeSettings, isSecretSetting, MASK } from '../../../src/config/print-config.js';
import { loadStartConfig } from '../../../src/config/start-config.js';
import { assertConfigError, fakeConfigSources } from '../../helpers/config-sources.js';

/** One file holding both commands' settings: shared top level, `start:` and `broker:` sections. */
const COMBINED_YAML = `
# shared by devgate start and devgate broker
host: 127.0.0.1
mqttPort: 1884
logLevel: warn
limits:
  maxPacketSize: 100000
start:
  httpPort: 8090
  platform:
    historyRetentionDays: 7
broker:
  mqttPort: 1885
  auth:
    allowAnonymous: true
    passwordFile: passwd
`;

const files = { '/etc/devgate/devgate.yaml': COMBINED_YAML };

describe('config files', () => {
  test('YAML: top-level settings are shared, a section overrides them for its command', () => {
    const broker = loadConfig(fakeConfigSources(['--config', '/etc/devgate/devgate.yaml'], {}, files));
    assert.equal(broker.host, '127.0.0.1');
    assert.equal(broker.mqttPort, 1885);
    assert.equal(broker.logLevel, 'warn');
    assert.equal(broker.limits.maxPacketSize, 100000);
    assert.equal(broker.httpPort, 8080, 'the start section is not the broker’s');
    assert.deepEqual(broker.auth, { allowAnonymous: true, passwordFile: '/etc/devgate/passwd' });
    const start = loadStartConfig(
      fakeConfigSources([], { DEVGATE_CONFIG: '/etc/devgate/devgate.yaml' }, files),
    );
    assert.equal(start.server.mqttPort, 1884);
    assert.equal(start.server.httpPort, 8090);
    assert.equal(start.server.limits.maxPacketSize, 100000);
    assert.equal(start.platform.historyRetentionDays, 7);
  });

  test('flags and environment still beat the file', () => {
    const config = loadConfig(
      fakeConfigSources(
        ['--config', '/etc/devgate/devgate.yaml', '--mqtt-port', '2000'],
        { DEVGATE_HOST: '::1' },
        files,
      ),
    );
    assert.equal(config.mqttPort, 2000);
    assert.equal(config.host, '::1');
  });

  test('format by extension, else by content: .json, .yml, and an extension-less file of either', () => {
    const load = (path: string, text: string) =>
      loadConfig(fakeConfigSources(['--config', path], {}, { [path]: text }));
    assert.equal(load('/c.json', '{"mqttPort": 1}').mqttPort, 1);
    assert.equal(load('/c.yml', 'mqttPort: 2').mqttPort, 2);
    assert.equal(load('/c.conf', '{"mqttPort": 3}').mqttPort, 3);
    assert.equal(load('/c.conf', 'mqttPort: 4').mqttPort, 4);
    assert.equal(load('/c.yaml', 'mqttPort: off').mqttPort, null);
    assert.equal(load('/c.yaml', '# nothing yet\n').mqttPort, 1883, 'an empty YAML file is no settings');
  });

  test('unknown keys, in sections too, are refused naming the key and the file', () => {
    const rejects = (text: string, message: RegExp, path = '/x.yaml') =>
      assertConfigError(
        () => loadConfig(fakeConfigSources(['--config', path], {}, { [path]: text })),
        message,
      );
    rejects('mqtPort: 1', /\/x.yaml: unknown setting "mqtPort"/);
    rejects(
      'broker:\n  limits:\n    maxPaketSize: 1',
      /\/x.yaml: unknown setting "broker.limits.maxPaketSize"/,
    );
    // Checked even when another command reads the file: a typo never waits for the other command.
    rejects('start:\n  platform:\n    orgDepth: 3', /\/x.yaml: unknown setting "start.platform.orgDepth"/);
    // auth is a broker setting: not in the start section.
    rejects('start:\n  auth:\n    allowAnonymous: true', /unknown setting "start.auth"/);
    rejects('broker: 3', /\/x.yaml: broker must be an object/);
    rejects('- a\n- b', /\/x.yaml: top level must be an object/);
    rejects('mqttPort: [1', /config file \/x.yaml is not valid YAML/);
    rejects('{"mqttPort": ', /config file \/x.json is not valid JSON/, '/x.json');
    rejects('broker:\n  mqttPort: high', /\/x.yaml: broker.mqttPort: expected a port/);
  });

  test('a top-level setting of the other command is taken by that one only', () => {
    const path = '/both.yaml';
    const text = 'auth:\n  allowAnonymous: true\nplatform:\n  orgDepthLimit: 3\n';
    assert.equal(
      loadConfig(fakeConfigSources(['--config', path], {}, { [path]: text })).auth.allowAnonymous,
      true,
    );
    assert.equal(
      loadStartConfig(fakeConfigSources(['--config', path], {}, { [path]: text })).platform.orgDepthLimit,
      3,
    );
  });
});

describe('--print-config', () => {
  test('every setting with its value and source; secrets masked, key paths shown', () => {
    const path = '/etc/devgate/devgate.yaml';
    const text = `${COMBINED_YAML}metricsToken: s3cr3t-metrics-token\ntlsCert: tls/cert.pem\ntlsKey: tls/key.pem\n`;
    const out = describeSettings(
      fakeConfigSources(
        ['--config', path, '--http-port', '0'],
        { DEVGATE_LOG_LEVEL: 'debug' },
        { [path]: text },
      ),
      'broker',
    );
    assert.ok(!out.includes('s3cr3t-metrics-token'), 'the secret is masked');
    const row = (key: string): string => out.split('\n').find((line) => line.startsWith(`${key} `)) ?? '';
    assert.match(
      row('metricsToken'),
      new RegExp(`${MASK.replace(/\*/g, '\\*')} +file ${path}: metricsToken$`),
    );
    assert.match(row('tlsKey'), /\/etc\/devgate\/tls\/key\.pem +file \/etc\/devgate\/devgate\.yaml: tlsKey$/);
    assert.match(row('mqttPort'), /1885 +file \/etc\/devgate\/devgate\.yaml: broker\.mqttPort$/);
    assert.match(row('httpPort'), /0 +flag --http-port$/);
    assert.match(row('logLevel'), /debug +env DEVGATE_LOG_LEVEL$/);
    assert.match(row('mqttsPort'), /8883 +default$/);
    assert.match(out, /^# config file: \/etc\/devgate\/devgate\.yaml \(from --config\)$/m);
    assert.equal(
      out.split('\n').filter((line) => !line.startsWith('#') && line !== '').length,
      OPTIONS.length,
    );
  });

  test('secret settings: string values named password/secret/token/key, and the database URL; paths and numbers are not', () => {
    const secret = START_OPTIONS.filter(isSecretSetting).map((spec) => spec.key);
    assert.deepEqual(secret, ['databaseUrl', 'redisUrl', 'metricsToken']);
  });
});
