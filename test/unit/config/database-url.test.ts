import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import { describeSettings } from '../../../src/config/print-config.js';
import { databasePoolOptions } from '../../../src/config/server-config.js';
import { loadStartConfig } from '../../../src/config/start-config.js';
import { assertConfigError, fakeConfigSources } from '../../helpers/config-sources.js';

const URL_WITH_PASSWORD = 'postgres://devgate:s3cret-pw@db.internal:5432/devgate';

test('--database-url: the broker takes it from the flag or DEVGATE_DATABASE_URL and persists', () => {
  const fromFlag = loadConfig(fakeConfigSources(['--database-url', URL_WITH_PASSWORD]));
  assert.equal(fromFlag.databaseUrl, URL_WITH_PASSWORD);
  assert.equal(fromFlag.persistence, true);
  const fromEnv = loadConfig(fakeConfigSources([], { DEVGATE_DATABASE_URL: 'postgresql://localhost/x' }));
  assert.equal(fromEnv.databaseUrl, 'postgresql://localhost/x');
  const none = loadConfig(fakeConfigSources());
  assert.equal('databaseUrl' in none, false);
  assert.equal(none.persistence, false);
});

test('--database-url: anything but a postgres:// URL is refused without echoing the value', () => {
  assertConfigError(
    () => loadConfig(fakeConfigSources(['--database-url', 'mysql://u:hunter2@h/db'])),
    /^--database-url must be a postgres:\/\/ or postgresql:\/\/ URL$/,
  );
});

test('--database-url: devgate start takes it (flag or DEVGATE_DATABASE_URL) for the platform and the engine', () => {
  const fromFlag = loadStartConfig(fakeConfigSources(['--database-url', URL_WITH_PASSWORD]));
  assert.equal(fromFlag.server.databaseUrl, URL_WITH_PASSWORD);
  assert.equal(fromFlag.server.persistence, true);
  const fromEnv = loadStartConfig(fakeConfigSources([], { DEVGATE_DATABASE_URL: URL_WITH_PASSWORD }));
  assert.equal(fromEnv.server.databaseUrl, URL_WITH_PASSWORD);
});

test('--secret-key-file: defaults to <data-dir>/secret.key; a relative path is resolved like the other paths', () => {
  const byDefault = loadStartConfig(fakeConfigSources(['--data-dir', '/srv/devgate']));
  assert.equal(byDefault.secretKeyFile, '/srv/devgate/secret.key');
  const given = loadStartConfig(fakeConfigSources(['--secret-key-file', '/etc/devgate/secret.key']));
  assert.equal(given.secretKeyFile, '/etc/devgate/secret.key');
  const fromEnv = loadStartConfig(fakeConfigSources([], { DEVGATE_SECRET_KEY_FILE: '/etc/k' }));
  assert.equal(fromEnv.secretKeyFile, '/etc/k');
});

test('--database-url: --print-config masks it, it may hold a password', () => {
  const text = describeSettings(fakeConfigSources(['--database-url', URL_WITH_PASSWORD]), 'broker');
  assert.match(text, /databaseUrl/);
  assert.doesNotMatch(text, /s3cret-pw/);
});

test('--database-pool-size and --database-query-timeout-sec reach both PostgreSQL pools; out of range refused', () => {
  const given = loadStartConfig(
    fakeConfigSources(['--database-url', URL_WITH_PASSWORD, '--database-pool-size', '20'], {
      DEVGATE_DATABASE_QUERY_TIMEOUT_SEC: '30',
    }),
  );
  assert.deepEqual(databasePoolOptions(given.server), { maxConnections: 20, queryTimeoutMs: 30_000 });
  assert.deepEqual(databasePoolOptions(loadConfig(fakeConfigSources())), {});
  assertConfigError(
    () => loadConfig(fakeConfigSources(['--database-pool-size', '0'])),
    /--database-pool-size/,
  );
  assertConfigError(
    () => loadConfig(fakeConfigSources(['--database-query-timeout-sec', '4000'])),
    /--database-query-timeout-sec/,
  );
});
