import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildHttpApp } from '../../src/http/app.js';
import { CONSOLE_CSP } from '../../src/http/console-site.js';
import { openTestPlatform } from '../helpers/platform.js';

/** The web console served by the HTTP app (decision 0026), on a fake build in a temp directory. */

const INDEX =
  '<!doctype html><title>console</title><script type="module" src="/assets/app-1a2b3c.js"></script>';
const ASSET = 'console.log("console");';

async function appWith(t: TestContext, build: boolean): Promise<FastifyInstance> {
  const dir = await mkdtemp(join(tmpdir(), 'devgate-console-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  if (build) {
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), INDEX);
    await writeFile(join(dir, 'assets', 'app-1a2b3c.js'), ASSET);
  }
  const platform = await openTestPlatform(t);
  const app = await buildHttpApp({ platform, logger: pino({ level: 'silent' }), consoleDir: dir });
  t.after(() => app.close());
  return app;
}

describe('web console serving', () => {
  test('/ answers index.html, not cached, with a self-only Content-Security-Policy', async (t) => {
    const app = await appWith(t, true);
    const response = await app.inject({ method: 'GET', url: '/' });
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, INDEX);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.equal(response.headers['cache-control'], 'no-cache');
    assert.equal(response.headers['content-security-policy'], CONSOLE_CSP);
    assert.match(CONSOLE_CSP, /default-src 'self'/);
    assert.doesNotMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
  });

  test('client-side routes fall back to index.html; query strings are kept out of the decision', async (t) => {
    const app = await appWith(t, true);
    for (const url of ['/devices', '/devices/42', '/templates?x=1', '/users/']) {
      const response = await app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 200, url);
      assert.equal(response.body, INDEX, url);
    }
  });

  test('hashed assets are cached for a year as immutable', async (t) => {
    const app = await appWith(t, true);
    const response = await app.inject({ method: 'GET', url: '/assets/app-1a2b3c.js' });
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, ASSET);
    assert.match(String(response.headers['cache-control']), /max-age=31536000/);
    assert.match(String(response.headers['cache-control']), /immutable/);
    assert.equal(response.headers['content-security-policy'], CONSOLE_CSP);
  });

  test('API, operations and unknown asset paths keep their JSON 404, never index.html', async (t) => {
    const app = await appWith(t, true);
    for (const url of [
      '/api/v1/nothing',
      '/api',
      '/external/api/nothing',
      '/oauth2/x',
      '/assets/missing.js',
      '/favicon.ico',
    ]) {
      const response = await app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 404, url);
      assert.match(String(response.headers['content-type']), /application\/json/, url);
    }
    const post = await app.inject({ method: 'POST', url: '/devices', payload: {} });
    assert.equal(post.statusCode, 404);
  });

  test('without a console build, / and client routes answer a clear 503 and the API still works', async (t) => {
    const app = await appWith(t, false);
    for (const url of ['/', '/devices/1']) {
      const response = await app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 503, url);
      assert.match(String(response.headers['content-type']), /^text\/plain/);
      assert.match(response.body, /web console was not built/);
      assert.match(response.body, /npm run build/);
    }
    const api = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    assert.equal(api.statusCode, 200);
  });
});
