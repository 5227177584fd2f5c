import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultLimits } from '../../../src/config/limits.js';
import { loadConfig } from '../../../src/config/load.js';
import { OPTIONS } from '../../../src/config/options.js';
import { assertConfigError, fakeConfigSources } from '../../helpers/config-sources.js';

function load(...args: Parameters<typeof fakeConfigSources>) {
  return loadConfig(fakeConfigSources(...args));
}

function rejects(message: RegExp, ...args: Parameters<typeof load>): void {
  assertConfigError(() => load(...args), message);
}

describe('config loading', () => {
  test('defaults', () => {
    assert.deepEqual(load(), {
      dataDir: '/srv/devgate/data',
      host: '0.0.0.0',
      mqttPort: 1883,
      mqttsPort: 8883,
      httpPort: 8080,
      httpsPorts: [443, 9443],
      socketWorkers: 0,
      persistence: false,
      limits: defaultLimits,
      auth: { allowAnonymous: false },
      logLevel: 'info',
      logConnections: true,
    });
  });

  test('--socket-workers: a count of processes, 0 to 256 (decision 0006)', () => {
    assert.equal(load(['--socket-workers', '4']).socketWorkers, 4);
    assert.throws(() => load(['--socket-workers', '-1']), /socket-workers/);
    assert.throws(() => load(['--socket-workers', '257']), /socket-workers/);
  });

  test('--sys-interval: seconds between $SYS updates, 0 (off) to 86400; flag, env and file', () => {
    assert.equal(load().sysInterval, undefined); // devgate broker then uses 10
    assert.equal(load(['--sys-interval', '0']).sysInterval, 0);
    assert.equal(load([], { DEVGATE_SYS_INTERVAL: '30' }).sysInterval, 30);
    assert.equal(load(['--config', '/c.json'], {}, { '/c.json': '{"sysInterval":5}' }).sysInterval, 5);
    rejects(/sys-interval/, ['--sys-interval', '-1']);
    rejects(/sys-interval/, ['--sys-interval', '86401']);
  });

  test('flags, with paths resolved against the working directory', () => {
    const config = load([
      '--data-dir=var',
      '--host',
      '127.0.0.1',
      '--mqtt-port',
      '0',
      '--mqtts-port',
      'off',
      '--http-port=-1',
      '--https-port',
      '8443, 9443',
      '--tls-cert',
      '/etc/tls/cert.pem',
      '--tls-key',
      'key.pem',
      '--persistence',
      '--allow-anonymous',
      '--password-file',
      'pw',
      '--acl-file',
      '/etc/acl',
      '--log-level',
      'DEBUG',
      '--max-packet-size',
      '2048',
    ]);
    assert.equal(config.dataDir, '/srv/devgate/var');
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.mqttPort, 0);
    assert.equal(config.mqttsPort, null);
    assert.equal(config.httpPort, null);
    assert.deepEqual(config.httpsPorts, [8443, 9443]);
    assert.equal(config.tlsCert, '/etc/tls/cert.pem');
    assert.equal(config.tlsKey, '/srv/devgate/key.pem');
    assert.equal(config.persistence, true);
    assert.deepEqual(config.auth, {
      allowAnonymous: true,
      passwordFile: '/srv/devgate/pw',
      aclFile: '/etc/acl',
    });
    assert.equal(config.logLevel, 'debug');
    assert.equal(config.limits.maxPacketSize, 2048);
    assert.equal(config.limits.receiveMaximum, defaultLimits.receiveMaximum);
  });

  test('every Limits field has a kebab-case flag and a DEVGATE_ env variable', () => {
    for (const name of Object.keys(defaultLimits)) {
      const spec = OPTIONS.find((o) => o.key === `limits.${name}`);
      assert.ok(spec, name);
      const kebab = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      assert.equal(spec.flag, kebab);
      assert.equal(spec.env, `DEVGATE_${kebab.replace(/-/g, '_').toUpperCase()}`);
      const value = String(Math.max(spec.min ?? 0, 1000));
      assert.equal(
        (load([`--${spec.flag}`, value]).limits as unknown as Record<string, number>)[name],
        Number(value),
      );
      assert.equal(
        (load([], { [spec.env]: value }).limits as unknown as Record<string, number>)[name],
        Number(value),
      );
    }
  });

  test('environment variables', () => {
    const config = load([], {
      DEVGATE_DATA_DIR: '/data',
      DEVGATE_MQTT_PORT: '1884',
      DEVGATE_HTTPS_PORT: 'off',
      DEVGATE_PERSISTENCE: 'yes',
      DEVGATE_ALLOW_ANONYMOUS: '1',
      DEVGATE_MAX_CONNECTIONS: '10',
      DEVGATE_CONNECT_TIMEOUT_MS: '500',
    });
    assert.equal(config.dataDir, '/data');
    assert.equal(config.mqttPort, 1884);
    assert.deepEqual(config.httpsPorts, []);
    assert.equal(config.persistence, true);
    assert.equal(config.auth.allowAnonymous, true);
    assert.equal(config.limits.maxConnections, 10);
    assert.equal(config.limits.connectTimeoutMs, 500);
  });

  test('JSON config file mirrors ServerConfig; its relative paths are relative to the file', () => {
    const file = JSON.stringify({
      dataDir: 'state',
      mqttPort: 2883,
      mqttsPort: null,
      httpsPorts: [9443],
      persistence: true,
      auth: { allowAnonymous: true, aclFile: 'acl.conf' },
      limits: { maxQueuedMessages: 5 },
      logLevel: 'warn',
    });
    const config = load(['--config', 'conf/devgate.json'], {}, { '/srv/devgate/conf/devgate.json': file });
    assert.equal(config.dataDir, '/srv/devgate/conf/state');
    assert.equal(config.mqttPort, 2883);
    assert.equal(config.mqttsPort, null);
    assert.deepEqual(config.httpsPorts, [9443]);
    assert.equal(config.persistence, true);
    assert.deepEqual(config.auth, { allowAnonymous: true, aclFile: '/srv/devgate/conf/acl.conf' });
    assert.equal(config.limits.maxQueuedMessages, 5);
    assert.equal(config.logLevel, 'warn');
  });

  test('precedence: flags > env > file > defaults', () => {
    const files = { '/c.json': JSON.stringify({ mqttPort: 1, httpPort: 2, mqttsPort: 3 }) };
    const env = { DEVGATE_CONFIG: '/c.json', DEVGATE_MQTT_PORT: '10', DEVGATE_HTTP_PORT: '20' };
    const config = load(['--mqtt-port', '100'], env, files);
    assert.equal(config.mqttPort, 100);
    assert.equal(config.httpPort, 20);
    assert.equal(config.mqttsPort, 3);
    assert.deepEqual(config.httpsPorts, [443, 9443]);
  });

  test('a boolean flag can switch off what env or file switched on', () => {
    const config = load(['--no-persistence', '--no-allow-anonymous'], {
      DEVGATE_PERSISTENCE: 'true',
      DEVGATE_ALLOW_ANONYMOUS: 'true',
    });
    assert.equal(config.persistence, false);
    assert.equal(config.auth.allowAnonymous, false);
  });

  test('invalid values are refused with the source named', () => {
    rejects(/--mqtt-port: expected a port/, ['--mqtt-port', '70000']);
    rejects(/--mqtt-port: expected a port/, ['--mqtt-port', '12ab']);
    rejects(/DEVGATE_HTTPS_PORT: expected comma-separated ports/, [], { DEVGATE_HTTPS_PORT: '443,x' });
    rejects(/DEVGATE_PERSISTENCE: expected true or false/, [], { DEVGATE_PERSISTENCE: 'maybe' });
    rejects(/--receive-maximum: expected an integer 1-65535/, ['--receive-maximum', '0']);
    rejects(/--max-client-id-length: expected an integer 23-/, ['--max-client-id-length', '5']);
    rejects(/--log-level: expected fatal\|error/, ['--log-level', 'loud']);
    rejects(/Unknown option '--mqtt-prot'/, ['--mqtt-prot', '1']);
    rejects(/Unexpected argument/, ['stray']);
  });

  test('invalid config files are refused', () => {
    rejects(/cannot read config file \/x.json/, ['--config', '/x.json']);
    rejects(/not valid JSON/, ['--config', '/x.json'], {}, { '/x.json': '{' });
    rejects(
      /unknown setting "limits.maxPaketSize"/,
      ['--config', '/x.json'],
      {},
      {
        '/x.json': '{"limits":{"maxPaketSize":1}}',
      },
    );
    rejects(/unknown setting "port"/, ['--config', '/x.json'], {}, { '/x.json': '{"port":1}' });
    rejects(/auth must be an object/, ['--config', '/x.json'], {}, { '/x.json': '{"auth":true}' });
    rejects(
      /\/x.json: mqttPort: expected a port/,
      ['--config', '/x.json'],
      {},
      { '/x.json': '{"mqttPort":"high"}' },
    );
  });

  test('settings that conflict with each other are refused', () => {
    rejects(/--tls-cert and --tls-key must be given together/, ['--tls-cert', 'c.pem']);
    rejects(/port 8080 is used by two listeners/, ['--mqtt-port', '8080']);
    // Port 0 (any free port) may repeat.
    assert.deepEqual(
      load(['--mqtt-port', '0', '--http-port', '0', '--https-port', '0,0']).httpsPorts,
      [0, 0],
    );
  });
});
