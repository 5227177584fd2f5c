import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../../src/config/load.js';
import { defaultOtaOptions } from '../../../src/config/ota-options.js';
import { loadStartConfig } from '../../../src/config/start-config.js';

function load(argv: string[] = [], env: Record<string, string> = {}, file?: unknown) {
  return loadStartConfig({
    argv: file === undefined ? argv : ['--config', 'devgate.json', ...argv],
    env,
    cwd: '/srv/devgate',
    readFile: () => JSON.stringify(file),
  });
}

function rejects(message: RegExp, argv: string[]): void {
  assert.throws(
    () => load(argv),
    (err: unknown) => err instanceof ConfigError && message.test(err.message),
  );
}

describe('Blynk.Air settings (devgate start)', () => {
  test('defaults: 16 MiB uploads, 15 min tokens, spec §3.4 3 downloads per 24 h, no public URL', () => {
    const { ota } = load();
    assert.deepEqual(ota, defaultOtaOptions);
    assert.equal(ota.maxFirmwareBytes, 16 * 1024 * 1024);
    assert.equal(ota.downloadTokenTtlSec, 900);
    assert.equal(ota.downloadsPerDay, 3);
    assert.equal(ota.publicUrl, undefined);
  });

  test('flags, environment and the `ota` config file section', () => {
    const flags = load([
      '--public-url',
      'https://iot.example.com/',
      '--max-firmware-bytes',
      '1048576',
      '--ota-token-ttl',
      '60',
      '--ota-downloads-per-day',
      '5',
    ]).ota;
    assert.deepEqual(flags, {
      publicUrl: 'https://iot.example.com',
      maxFirmwareBytes: 1_048_576,
      downloadTokenTtlSec: 60,
      downloadsPerDay: 5,
    });
    assert.equal(
      load([], { DEVGATE_PUBLIC_URL: 'http://10.0.0.2:8080' }).ota.publicUrl,
      'http://10.0.0.2:8080',
    );
    const fromFile = load(
      [],
      {},
      { ota: { publicUrl: 'https://proxy.example.com/devgate/', downloadsPerDay: 1 } },
    );
    assert.equal(fromFile.ota.publicUrl, 'https://proxy.example.com/devgate');
    assert.equal(fromFile.ota.downloadsPerDay, 1);
  });

  test('bad values are refused with the option named', () => {
    rejects(/--public-url: "ftp:\/\/x" must start with http/, ['--public-url', 'ftp://x']);
    rejects(/--public-url: "not a url" is not a URL/, ['--public-url', 'not a url']);
    rejects(/--public-url: .* must not have a query/, ['--public-url', 'https://x.example?a=1']);
    rejects(/ota-downloads-per-day/, ['--ota-downloads-per-day', '0']);
    rejects(/max-firmware-bytes/, ['--max-firmware-bytes', '12']);
  });
});
