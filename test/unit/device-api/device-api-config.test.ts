import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadStartConfig } from '../../../src/config/start-config.js';
import { defaultDeviceApiOptions } from '../../../src/device-api/types.js';

const load = (argv: string[], env: Record<string, string> = {}, file?: unknown) =>
  loadStartConfig({
    argv: [...argv, ...(file === undefined ? [] : ['--config', 'c.json'])],
    env,
    cwd: '/tmp',
    readFile: () => JSON.stringify(file),
  });

test('spec §9 device API limits: defaults (packets up to 64 KiB)', () => {
  const config = load([]);
  assert.deepEqual(config.deviceApi, defaultDeviceApiOptions);
  assert.equal(config.server.limits.maxPacketSize, 65_536);
  assert.equal(load(['--max-packet-size', '1024']).server.limits.maxPacketSize, 1024);
});

test('spec §9, §7.1 device API limits from flags, env and the config file section deviceApi', () => {
  const config = load(
    [
      '--device-rate-limit',
      '20',
      '--region-url',
      'https://fra1.example.com/some/path',
      '--events-per-day',
      '7',
      '--upload-max-bytes',
      '1024',
      '--live-streams-per-caller',
      '3',
    ],
    {
      DEVGATE_DEVICE_RATE_BURST: '40',
      DEVGATE_DIAG_INTERVAL_MS: '500',
      DEVGATE_EVENT_INTERVAL_MS: '0',
      DEVGATE_IMPORT_POINTS_PER_DAY: '10000',
      DEVGATE_UPLOADS_PER_DAY: '3',
      DEVGATE_LIVE_STREAMS_MAX: '50',
    },
    {
      deviceApi: {
        floodDisconnectSec: 9,
        gatewayRateLimitPerSec: 100,
        httpUpdatesPerDay: 1000,
        uploadMaxFiles: 0,
        liveStreamBufferBytes: 4096,
      },
    },
  );
  assert.deepEqual(config.deviceApi, {
    rateLimitPerSec: 20,
    rateLimitBurst: 40,
    floodDisconnectSec: 9,
    diagIntervalMs: 500,
    gatewayRateLimitPerSec: 100,
    regionUrl: 'https://fra1.example.com',
    eventsPerDay: 7,
    eventIntervalMs: 0,
    importPointsPerDay: 10_000,
    httpUpdatesPerDay: 1000,
    uploadMaxFiles: 0,
    uploadMaxBytes: 1024,
    uploadsPerDay: 3,
    liveStreamsMax: 50,
    liveStreamsPerCaller: 3,
    liveStreamBufferBytes: 4096,
  });
});

test('spec §9 device API limits are checked', () => {
  assert.throws(() => load(['--device-rate-limit', '0']), ConfigError);
  assert.throws(() => load(['--flood-disconnect-sec', 'x']), ConfigError);
  assert.throws(() => load(['--events-per-day', '0']), ConfigError);
  assert.throws(() => load(['--event-interval-ms', '-1']), ConfigError);
  assert.throws(() => load(['--import-points-per-day', '1.5']), ConfigError);
  assert.throws(() => load(['--upload-max-files', '-1']), ConfigError);
  assert.throws(() => load(['--live-streams-max', '0']), ConfigError);
  assert.throws(() => load(['--live-stream-buffer-bytes', '100']), ConfigError);
  assert.throws(() => load(['--region-url', 'fra1.example.com']), /not a URL/);
  assert.throws(() => load(['--region-url', 'mqtt://fra1.example.com']), /http/);
});
