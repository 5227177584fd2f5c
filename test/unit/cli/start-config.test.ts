import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../../src/config/load.js';
import { PLATFORM_OPTIONS, START_OPTIONS } from '../../../src/config/options.js';
import { defaultPlatformOptions } from '../../../src/config/platform-options.js';
import { loadStartConfig } from '../../../src/config/start-config.js';
import { assertConfigError, CONFIG_CWD, fakeConfigSources } from '../../helpers/config-sources.js';

function load(...args: Parameters<typeof fakeConfigSources>) {
  return loadStartConfig(fakeConfigSources(...args));
}

function rejects(message: RegExp, ...args: Parameters<typeof load>): void {
  assertConfigError(() => load(...args), message);
}

describe('devgate start settings', () => {
  test('defaults: broker defaults, spec platform defaults (§5.1 depth 4, §5.8 24 h tokens), root org', () => {
    const config = load();
    assert.equal(config.server.dataDir, '/srv/devgate/data');
    assert.equal(config.server.mqttPort, 1883);
    assert.equal(config.server.persistence, false);
    assert.deepEqual(config.platform, defaultPlatformOptions);
    assert.equal(config.platform.orgDepthLimit, 4);
    assert.equal(config.platform.accessTokenTtlSec, 86_400);
    assert.deepEqual(config.rootOrg, { name: 'My Organization', tz: 'UTC' });
    assert.equal(config.demo, false);
    assert.equal(config.adminEmail, 'admin@devgate.local');
  });

  test('platform flags, broker flags and --demo', () => {
    const config = load([
      '--demo',
      '--data-dir',
      'state',
      '--mqtt-port',
      '0',
      '--history-retention-days',
      '30',
      '--org-depth-limit',
      '6',
      '--access-token-ttl',
      '3600',
      '--refresh-token-ttl',
      '7200',
      '--max-datastreams-per-template',
      '200',
      '--org-name',
      'Acme Corp',
      '--tz',
      'Europe/Kyiv',
      '--session-idle',
      '600',
      '--session-max-age',
      '3600',
      '--admin-email',
      'Ops@Example.com',
    ]);
    assert.equal(config.demo, true);
    assert.equal(config.server.dataDir, '/srv/devgate/state');
    assert.equal(config.server.mqttPort, 0);
    assert.deepEqual(config.platform, {
      orgDepthLimit: 6,
      accessTokenTtlSec: 3600,
      refreshTokenTtlSec: 7200,
      historyRetentionDays: 30,
      maxDatastreamsPerTemplate: 200,
      sessionIdleSec: 600,
      sessionMaxAgeSec: 3600,
    });
    assert.deepEqual(config.rootOrg, { name: 'Acme Corp', tz: 'Europe/Kyiv' });
    assert.equal(config.adminEmail, 'ops@example.com');
  });

  test('environment variables and the config file section "platform"', () => {
    const file = JSON.stringify({
      mqttPort: 2883,
      demo: true,
      platform: { orgDepthLimit: 3, rootOrgName: 'From File' },
    });
    const config = load(
      ['--config', 'devgate.json'],
      {
        DEVGATE_HISTORY_RETENTION_DAYS: '7',
        DEVGATE_ACCESS_TOKEN_TTL: '600',
        DEVGATE_TZ: 'America/New_York',
      },
      { '/srv/devgate/devgate.json': file },
    );
    assert.equal(config.server.mqttPort, 2883);
    assert.equal(config.demo, true);
    assert.equal(config.platform.orgDepthLimit, 3);
    assert.equal(config.platform.historyRetentionDays, 7);
    assert.equal(config.platform.accessTokenTtlSec, 600);
    assert.deepEqual(config.rootOrg, { name: 'From File', tz: 'America/New_York' });
  });

  test('every platform option has a flag, an env variable and bounds', () => {
    for (const spec of PLATFORM_OPTIONS) {
      assert.match(spec.flag, /^[a-z][a-z-]+$/);
      assert.equal(spec.env, `DEVGATE_${spec.flag.replace(/-/g, '_').toUpperCase()}`);
      if (spec.kind === 'integer') assert.ok(spec.min !== undefined && spec.max !== undefined, spec.key);
    }
    const flags = START_OPTIONS.map((spec) => spec.flag);
    assert.equal(new Set(flags).size, flags.length, 'no flag twice');
  });

  test('devgate start has no $SYS topics: --sys-interval is not one of its settings', () => {
    assert.ok(!START_OPTIONS.some((spec) => spec.key === 'sysInterval'));
    assert.throws(() => load(['--sys-interval', '1']), /sys-interval/);
  });

  test('invalid values are refused with the source named', () => {
    rejects(/--org-depth-limit: expected an integer 1-64/, ['--org-depth-limit', '0']);
    rejects(/--access-token-ttl: expected an integer 60-/, ['--access-token-ttl', '5']);
    rejects(/DEVGATE_HISTORY_RETENTION_DAYS: expected an integer/, [], {
      DEVGATE_HISTORY_RETENTION_DAYS: 'forever',
    });
    rejects(/--tz: "Nowhere\/City" is not an IANA time zone/, ['--tz', 'Nowhere/City']);
    rejects(/--org-name: expected a non-empty string/, ['--org-name', ' ']);
    rejects(/--admin-email: "nobody" is not an email address/, ['--admin-email', 'nobody']);
    rejects(/--session-idle: expected an integer 60-86400/, ['--session-idle', '10']);
    rejects(
      /unknown setting "platform.orgDepth"/,
      ['--config', '/c.json'],
      {},
      { '/c.json': '{"platform":{"orgDepth":2}}' },
    );
    // The platform authenticates with tokens and OAuth clients: the broker's file auth flags do not apply.
    rejects(/Unknown option '--allow-anonymous'/, ['--allow-anonymous']);
    rejects(/port 8080 is used by two listeners/, ['--mqtt-port', '8080']);
  });

  test('devgate broker does not take platform options (its table is unchanged)', () => {
    assert.throws(
      () => loadConfig({ argv: ['--demo'], env: {}, cwd: CONFIG_CWD }),
      /Unknown option '--demo'/,
    );
    assert.throws(
      () => loadConfig({ argv: ['--org-depth-limit', '3'], env: {}, cwd: CONFIG_CWD }),
      ConfigError,
    );
  });
});
