import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import { assertConfigError, fakeConfigSources } from '../../helpers/config-sources.js';

function load(...args: Parameters<typeof fakeConfigSources>) {
  return loadConfig(fakeConfigSources(...args));
}

describe('PROXY protocol settings (decision 0027)', () => {
  test('off by default: no listener expects a header', () => {
    const config = load();
    assert.equal(config.proxyProtocol, undefined);
    assert.equal(config.proxyProtocolFrom, undefined);
    assert.equal(config.limits.proxyHeaderTimeoutMs, 5000);
  });

  test('--proxy-protocol / DEVGATE_PROXY_PROTOCOL / file: every listener', () => {
    const all = ['mqtt', 'mqtts', 'http', 'https'];
    assert.deepEqual(load(['--proxy-protocol']).proxyProtocol, all);
    assert.deepEqual(load([], { DEVGATE_PROXY_PROTOCOL: 'true' }).proxyProtocol, all);
    const file = { '/srv/devgate/c.json': JSON.stringify({ proxyProtocol: true }) };
    assert.deepEqual(load(['--config', 'c.json'], {}, file).proxyProtocol, all);
    assert.equal(load(['--no-proxy-protocol'], { DEVGATE_PROXY_PROTOCOL: 'true' }).proxyProtocol, undefined);
  });

  test('--proxy-protocol-listeners names the listeners one by one and wins over --proxy-protocol', () => {
    assert.deepEqual(load(['--proxy-protocol-listeners', 'mqtts, MQTT,mqtts']).proxyProtocol, [
      'mqtts',
      'mqtt',
    ]);
    assert.deepEqual(load(['--proxy-protocol', '--proxy-protocol-listeners', 'https']).proxyProtocol, [
      'https',
    ]);
    assert.equal(load(['--proxy-protocol', '--proxy-protocol-listeners', 'none']).proxyProtocol, undefined);
    const file = { '/srv/devgate/c.yaml': 'proxyProtocolListeners: [mqtt, http]\n' };
    assert.deepEqual(load(['--config', 'c.yaml'], {}, file).proxyProtocol, ['mqtt', 'http']);
    assertConfigError(
      () => load(['--proxy-protocol-listeners', 'mqtt,ws']),
      /proxy-protocol-listeners.*mqtt, mqtts, http, https/,
    );
  });

  test('--proxy-protocol-from: addresses and CIDR blocks, checked at start-up; needs a PROXY listener', () => {
    const config = load(['--proxy-protocol', '--proxy-protocol-from', '10.0.0.0/8, 192.0.2.7,fd00::/8,::1']);
    assert.deepEqual(config.proxyProtocolFrom, ['10.0.0.0/8', '192.0.2.7', 'fd00::/8', '::1']);
    for (const bad of ['10.0.0.0/33', 'fd00::/129', 'lb.example', '10.0.0.0/8/1', '10.0.0.0/x']) {
      assertConfigError(
        () => load(['--proxy-protocol', '--proxy-protocol-from', bad]),
        /proxy-protocol-from.*CIDR/,
      );
    }
    assertConfigError(() => load(['--proxy-protocol-from', '10.0.0.1']), /needs --proxy-protocol/);
  });

  test('--proxy-header-timeout-ms: 100 to 60000 ms', () => {
    assert.equal(load(['--proxy-header-timeout-ms', '2500']).limits.proxyHeaderTimeoutMs, 2500);
    assertConfigError(() => load(['--proxy-header-timeout-ms', '99']), /proxy-header-timeout-ms/);
    assertConfigError(() => load(['--proxy-header-timeout-ms', '60001']), /proxy-header-timeout-ms/);
  });
});
