import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import { loadStartConfig } from '../../../src/config/start-config.js';
import { assertConfigError, fakeConfigSources } from '../../helpers/config-sources.js';

const CLUSTER = ['--database-url', 'postgres://db/x', '--redis-url', 'redis://cache:6379'];

test('--redis-url needs --database-url, and only a redis:// or rediss:// URL is taken (never echoed)', () => {
  assertConfigError(
    () => loadConfig(fakeConfigSources(['--redis-url', 'redis://cache:6379'])),
    /^--redis-url needs --database-url/,
  );
  assertConfigError(
    () =>
      loadConfig(
        fakeConfigSources(['--database-url', 'postgres://db/x', '--redis-url', 'http://u:pw@cache']),
      ),
    /^--redis-url must be a redis:\/\/ or rediss:\/\/ URL$/,
  );
});

test('--cluster-heartbeat-ms / --cluster-dead-after-ms: from flags or DEVGATE_…, absent when not given', () => {
  const flags = loadStartConfig(
    fakeConfigSources([...CLUSTER, '--cluster-heartbeat-ms', '500', '--cluster-dead-after-ms', '3000']),
  );
  assert.equal(flags.server.clusterHeartbeatMs, 500);
  assert.equal(flags.server.clusterDeadAfterMs, 3000);
  const env = loadConfig(
    fakeConfigSources(CLUSTER, {
      DEVGATE_CLUSTER_HEARTBEAT_MS: '300',
      DEVGATE_CLUSTER_DEAD_AFTER_MS: '1500',
    }),
  );
  assert.equal(env.clusterHeartbeatMs, 300);
  assert.equal(env.clusterDeadAfterMs, 1500);
  const none = loadConfig(fakeConfigSources(CLUSTER));
  assert.equal('clusterHeartbeatMs' in none, false);
  assert.equal('clusterDeadAfterMs' in none, false);
});

test('--cluster-dead-after-ms under twice the heartbeat (given or default) is refused; out of range likewise', () => {
  assertConfigError(
    () => loadConfig(fakeConfigSources([...CLUSTER, '--cluster-dead-after-ms', '3999'])),
    /--cluster-dead-after-ms \(3999\) must be at least twice --cluster-heartbeat-ms \(2000\)/,
  );
  assertConfigError(
    () => loadConfig(fakeConfigSources([...CLUSTER, '--cluster-heartbeat-ms', '6000'])),
    /--cluster-dead-after-ms \(10000\) must be at least twice --cluster-heartbeat-ms \(6000\)/,
  );
  assertConfigError(
    () => loadConfig(fakeConfigSources([...CLUSTER, '--cluster-heartbeat-ms', '50'])),
    /--cluster-heartbeat-ms/,
  );
  assertConfigError(
    () => loadConfig(fakeConfigSources([...CLUSTER, '--cluster-dead-after-ms', '700000'])),
    /--cluster-dead-after-ms/,
  );
});
