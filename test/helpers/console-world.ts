import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { type Connected, connectClient } from './mqtt-client.js';
import { startPlatformServer, tempDataDir } from './platform-server.js';

/**
 * The web console end to end: `devgate start` in-process (it serves the built console), a real
 * MQTT device subscribed to `downlink/#`, and headless Chromium driven by playwright-core.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CONSOLE_INDEX = join(ROOT, 'dist', 'console', 'index.html');
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The Chromium binary: DEVGATE_CHROMIUM_PATH, else the usual Debian paths; undefined when none. */
export function chromiumPath(): string | undefined {
  const configured = process.env.DEVGATE_CHROMIUM_PATH;
  if (configured !== undefined && configured !== '') return existsSync(configured) ? configured : undefined;
  return CANDIDATES.find((path) => existsSync(path));
}

/**
 * Why the browser tests cannot run here, or undefined when they can. With
 * DEVGATE_REQUIRE_CHROMIUM=1 (CI) a missing browser is a failure, not a skip.
 */
export function browserSkipReason(): string | undefined {
  if (chromiumPath() !== undefined) return undefined;
  const reason =
    'no Chromium binary found (looked at DEVGATE_CHROMIUM_PATH and /usr/bin/chromium): install Debian `chromium` to run the web console tests';
  if (process.env.DEVGATE_REQUIRE_CHROMIUM === '1')
    throw new Error(`DEVGATE_REQUIRE_CHROMIUM=1 but ${reason}`);
  return reason;
}

/** Builds the console once when dist/console is missing (a checkout where only `tsc` ran). */
export function ensureConsoleBuilt(): void {
  if (existsSync(CONSOLE_INDEX)) return;
  const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const config = join(ROOT, 'console', 'vite.config.ts');
  const built = spawnSync(process.execPath, [vite, 'build', '--config', config, '--logLevel', 'warn'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(built.status, 0, `vite build failed:\n${built.stdout}\n${built.stderr}`);
}

export async function launchBrowser(t: TestContext): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const executablePath = chromiumPath();
  assert.ok(executablePath !== undefined);
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  t.after(() => browser.close());
  return browser;
}

export interface ConsoleWorld {
  readonly httpUrl: string;
  readonly dataDir: string;
  readonly admin: { email: string; password: string };
  readonly deviceId: number;
  readonly deviceToken: string;
  readonly device: Connected;
  /** The admin OAuth client (also a Gateway API login: username = client id, password = secret). */
  readonly oauthClient: { clientId: string; clientSecret: string };
  readonly mqttPort: number;
  /** A Platform API call with the admin OAuth client's bearer token. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
  browser: Browser;
}

export const DATASTREAMS = [
  { name: 'Temperature', pin: 0, type: 'Double', min: -40, max: 120, units: 'C', decimals: 1 },
  { name: 'Power', pin: 1, type: 'Integer', min: 0, max: 100 },
  { name: 'Relay', pin: 2, type: 'Boolean' },
  {
    name: 'Mode',
    pin: 3,
    type: 'Enum',
    enumValues: [
      { value: 0, label: 'Off' },
      { value: 1, label: 'Eco' },
      { value: 2, label: 'Boost' },
    ],
  },
  { name: 'Label', pin: 4, type: 'String' },
].map((ds) => ({ isSync: true, isRaw: false, ...ds }));

async function bearer(httpUrl: string, clientId: string, clientSecret: string): Promise<string> {
  const response = await fetch(`${httpUrl}/oauth2/token?grant_type=client_credentials`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** The admin user `devgate start` bootstrapped (console contract: in admin-credentials.json). */
async function adminUser(dataDir: string): Promise<{ email: string; password: string }> {
  const file = JSON.parse(await readFile(join(dataDir, 'admin-credentials.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  assert.equal(typeof file.email, 'string', 'admin-credentials.json names the admin user');
  assert.equal(typeof file.password, 'string');
  return { email: file.email as string, password: file.password as string };
}

export async function openConsoleWorld(t: TestContext): Promise<ConsoleWorld> {
  ensureConsoleBuilt();
  const dataDir = join(await tempDataDir(t, 'devgate-console-'), 'data');
  const server = await startPlatformServer(t, dataDir);
  const { clientId, clientSecret } = server.admin.credentials;
  const token = await bearer(server.httpUrl, clientId, clientSecret);
  const api: ConsoleWorld['api'] = async (method, path, body) => {
    const response = await fetch(`${server.httpUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
  };
  const template = await api('POST', '/api/v1/organization/template/create', {
    name: 'Thermostat',
    datastreams: DATASTREAMS,
    events: [{ code: 'overheat', name: 'Overheat', type: 'WARNING' }],
  });
  assert.equal(template.status, 201, JSON.stringify(template.json));
  const created = await api('POST', '/api/v1/organization/device/create', {
    templateId: (template.json as { id: number }).id,
    name: 'Boiler room',
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const { id: deviceId, token: deviceToken } = created.json as { id: number; token: string };
  const port = server.server.addresses.mqtt;
  assert.ok(port !== undefined);
  const device = await connectClient(t, port, {
    username: 'device',
    password: deviceToken,
    protocolVersion: 4,
  });
  await device.client.subscribeAsync('downlink/#', { qos: 1 });
  const browser = await launchBrowser(t);
  return {
    httpUrl: server.httpUrl,
    dataDir,
    admin: await adminUser(dataDir),
    deviceId,
    deviceToken,
    device,
    oauthClient: { clientId, clientSecret },
    mqttPort: port,
    api,
    browser,
  };
}

/** A fresh browser context (its own cookies), signed in through the sign-in page. */
export async function signedInPage(
  world: ConsoleWorld,
  t: TestContext,
  user: { email: string; password: string } = world.admin,
): Promise<Page> {
  const context = await world.browser.newContext({ viewport: { width: 1280, height: 900 } });
  t.after(() => context.close());
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    // A CSP violation or a script error is a defect whatever the test checks; failed requests
    // are judged below, by status.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      problems.push(message.text());
  });
  page.on('response', (response) => {
    // 401/403 are answers the tests provoke (signed out, wrong password, refused writes); a 404
    // or 5xx means the console asked for something that is not there.
    const status = response.status();
    if (status === 404 || status >= 500)
      problems.push(`${status} ${response.request().method()} ${response.url()}`);
  });
  t.after(() => assert.deepEqual(problems, [], 'browser console errors'));
  await page.goto(`${world.httpUrl}/`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return page;
}
