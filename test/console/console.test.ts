import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  browserSkipReason,
  type ConsoleWorld,
  openConsoleWorld,
  signedInPage,
} from '../helpers/console-world.js';

/**
 * The web console in headless Chromium against `devgate start` with a real MQTT device
 * (console contract; Blynk Device MQTT API `ds/NAME` uplinks and `downlink/ds/NAME` downlinks).
 */

// Generous: the suite runs two test files at once on shared CPUs, and Chromium is the heaviest.
const UI_WAIT_MS = 20_000;

async function openDevice(world: ConsoleWorld, page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Boiler room' }).first().click();
  await page.getByRole('heading', { name: 'Boiler room' }).waitFor();
  // The live stream is open before anything is published to it.
  await page
    .getByTestId('live-state')
    .filter({ hasText: 'live updates: live' })
    .waitFor({ timeout: UI_WAIT_MS });
  assert.equal(new URL(page.url()).pathname, `/devices/${world.deviceId}`);
}

async function downlink(world: ConsoleWorld, name: string): Promise<string> {
  const topic = `downlink/ds/${name}`;
  await world.device.inbox.until(topic, UI_WAIT_MS);
  const all = world.device.inbox.all;
  const last = [...all].reverse().find((m) => m.topic === topic);
  assert.ok(last !== undefined);
  return last.payload.toString();
}

async function sessionWrite(
  page: Page,
  deviceId: number,
  withCsrf: boolean,
): Promise<{ status: number; body: string }> {
  return page.evaluate(
    async ({ deviceId, withCsrf }) => {
      const session = (await (await fetch('/api/v1/session')).json()) as { csrfToken: string };
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (withCsrf) headers['x-csrf-token'] = session.csrfToken;
      const response = await fetch('/api/v1/organization/device/datastream', {
        method: 'POST',
        headers,
        body: JSON.stringify({ deviceId, dataStreamId: 3, value: true }),
      });
      return { status: response.status, body: await response.text() };
    },
    { deviceId, withCsrf },
  );
}

const skip = browserSkipReason();

test('web console in Chromium', { skip }, async (t) => {
  const world = await openConsoleWorld(t);

  await t.test(
    'sign-in: a wrong password shows the server message; the right one opens the devices',
    async (t) => {
      const context = await world.browser.newContext();
      t.after(() => context.close());
      const page = await context.newPage();
      await page.goto(`${world.httpUrl}/devices`);
      await page.getByLabel('Email').fill(world.admin.email);
      await page.getByLabel('Password').fill(`${world.admin.password}-wrong`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page
        .getByRole('alert')
        .filter({ hasText: 'Invalid email or password.' })
        .waitFor({ timeout: UI_WAIT_MS });
      // Keyboard only: Tab from Email reaches Password, Enter submits.
      await page.getByLabel('Email').focus();
      await page.keyboard.press('Tab');
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.type(world.admin.password);
      await page.keyboard.press('Enter');
      await page.getByRole('link', { name: 'Boiler room' }).waitFor({ timeout: UI_WAIT_MS });
    },
  );

  await t.test('device list: server-side pages of 50, search, each name a link to the device', async (t) => {
    for (let i = 1; i <= 55; i++) {
      const created = await world.api('POST', '/api/v1/organization/device/create', {
        templateId: 1,
        name: `Sensor ${String(i).padStart(2, '0')}`,
      });
      assert.equal(created.status, 201);
    }
    const page = await signedInPage(world, t);
    await page.getByText('Page 1 of 2 (56 in all)').waitFor({ timeout: UI_WAIT_MS });
    assert.equal(await page.locator('tbody tr').count(), 50);
    await page.getByLabel('Search devices').fill('boiler');
    await page.getByText('Page 1 of 1 (1 in all)').waitFor({ timeout: UI_WAIT_MS });
    const link = page.getByRole('link', { name: 'Boiler room' });
    assert.equal(await link.getAttribute('href'), `/devices/${world.deviceId}`);
    // spec §5.10: the list shows the server's presence: the MQTT device is connected.
    await page
      .locator('tbody tr', { hasText: 'Boiler room' })
      .locator('.badge.online')
      .waitFor({ timeout: UI_WAIT_MS });
  });

  await t.test('spec §6.4 a device created, renamed and deleted from the console', async (t) => {
    const page = await signedInPage(world, t);
    await page.getByRole('button', { name: 'New device' }).click();
    await page.getByLabel('Device name', { exact: true }).fill('Cellar');
    await page.getByRole('button', { name: 'Create device' }).click();
    const status = page.getByRole('status');
    await status.filter({ hasText: 'Created Cellar' }).waitFor({ timeout: UI_WAIT_MS });
    const token = (await status.locator('code').textContent()) ?? '';
    assert.match(token, /^[A-Za-z0-9_-]{20,}$/, 'the new device token is shown once');
    await status.getByRole('link', { name: 'Cellar' }).click();
    await page.getByRole('heading', { name: 'Cellar' }).waitFor({ timeout: UI_WAIT_MS });
    await page.getByLabel('Device name', { exact: true }).fill('Wine cellar');
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByRole('heading', { name: 'Wine cellar' }).waitFor({ timeout: UI_WAIT_MS });
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete device' }).click();
    await page.getByRole('heading', { name: 'Devices' }).waitFor({ timeout: UI_WAIT_MS });
    const found = await world.api('GET', '/api/v1/organization/search/devices?query=cellar');
    assert.equal((found.json as { totalElements: number }).totalElements, 0, 'the device is gone');
  });

  await t.test(
    'a value published over MQTT (ds/NAME) appears on the device page live, without a reload',
    async (t) => {
      const page = await signedInPage(world, t);
      await openDevice(world, page);
      // Browser-side expressions as text: the test project has no DOM typings.
      await page.evaluate('window.sameDocument = true');
      await world.device.client.publishAsync('ds/Temperature', '21.5', { qos: 1 });
      await page
        .getByTestId('value-Temperature')
        .filter({ hasText: '21.5 C' })
        .waitFor({ timeout: UI_WAIT_MS });
      await world.device.client.publishAsync('ds/Label', 'kitchen', { qos: 1 });
      await page.getByTestId('value-Label').filter({ hasText: 'kitchen' }).waitFor({ timeout: UI_WAIT_MS });
      // spec: event/CODE logs an event; the page's event list follows the stream too.
      await world.device.client.publishAsync('event/overheat', 'too hot', { qos: 1 });
      await page
        .locator('.events li', { hasText: 'overheat' })
        .filter({ hasText: 'too hot' })
        .waitFor({ timeout: UI_WAIT_MS });
      assert.equal(await page.evaluate('window.sameDocument'), true);
    },
  );

  await t.test(
    'controls labelled with the datastream name reach the MQTT device as downlink/ds/NAME',
    async (t) => {
      const page = await signedInPage(world, t);
      await openDevice(world, page);
      await page.getByLabel('Relay', { exact: true }).check();
      assert.equal(await downlink(world, 'Relay'), '1');
      await page.getByLabel('Mode', { exact: true }).selectOption({ label: 'Boost' });
      assert.equal(await downlink(world, 'Mode'), '2');
      await page.getByLabel('Power', { exact: true }).fill('70');
      assert.equal(await downlink(world, 'Power'), '70');
      await page.getByLabel('Label', { exact: true }).fill('hello');
      await page.getByLabel('Label', { exact: true }).press('Enter');
      assert.equal(await downlink(world, 'Label'), 'hello');
      // The write came back through the live stream as the current value.
      await page.getByTestId('value-Power').filter({ hasText: '70' }).waitFor({ timeout: UI_WAIT_MS });
    },
  );

  await t.test(
    'the history chart draws the stored history (canvas, points > 0); imported points stay history',
    async (t) => {
      const page = await signedInPage(world, t);
      await openDevice(world, page);
      const now = Date.now();
      const values = Array.from({ length: 30 }, (_, i) => ({
        value: 18 + (i % 7),
        ts: now - (30 - i) * 60_000,
      }));
      const imported = await world.api('POST', '/api/v1/organization/device/import/batch', {
        deviceId: world.deviceId,
        dataStreamId: 1,
        values,
      });
      assert.equal(imported.status, 204, JSON.stringify(imported.json));
      // The live stream is ordered: once this later value shows, the imported points were handled.
      await world.device.client.publishAsync('ds/Label', 'heating', { qos: 1 });
      await page.getByTestId('value-Label').filter({ hasText: 'heating' }).waitFor({ timeout: UI_WAIT_MS });
      // Points older than the current value are history, not the value shown.
      assert.equal(await page.getByTestId('value-Temperature').textContent(), '21.5 C');
      await page.getByRole('button', { name: 'Refresh chart' }).click();
      await page.getByRole('button', { name: '1 h' }).click();
      const chart = page.locator('.chart');
      await chart.locator('canvas').waitFor({ timeout: UI_WAIT_MS });
      const points = Number(await chart.getAttribute('data-points'));
      assert.ok(points >= 30, `points: ${points}`);
      // A value published now joins the chart from the live stream, without Refresh.
      await world.device.client.publishAsync('ds/Temperature', '23.5', { qos: 1 });
      await page.locator(`.chart[data-points="${points + 1}"]`).waitFor({ timeout: UI_WAIT_MS });
      const screenshot = process.env.DEVGATE_CONSOLE_SCREENSHOT;
      if (screenshot !== undefined && screenshot !== '') {
        const path = resolve(screenshot);
        await mkdir(dirname(path), { recursive: true });
        await page.setViewportSize({ width: 1280, height: 1400 });
        await page.screenshot({ path, fullPage: false });
      }
    },
  );

  await t.test(
    'spec §5.5 a metadata value edited on the device page reaches the device as downlink/meta/NAME',
    async (t) => {
      const page = await signedInPage(world, t);
      await openDevice(world, page);
      await page.getByLabel('Hotspot Name', { exact: true }).fill('Boiler room wifi');
      await page.getByRole('button', { name: 'Save Hotspot Name' }).click();
      await world.device.inbox.until('downlink/meta/Hotspot Name', UI_WAIT_MS);
      const sent = world.device.inbox.all.filter((m) => m.topic === 'downlink/meta/Hotspot Name').at(-1);
      assert.equal(sent?.payload.toString(), 'Boiler room wifi');
      const stored = await world.api(
        'GET',
        `/api/v1/organization/device/metafield?deviceId=${world.deviceId}`,
      );
      const values = stored.json as Array<{ name: string; value: string }>;
      assert.equal(values.find((v) => v.name === 'Hotspot Name')?.value, 'Boiler room wifi');
    },
  );

  await t.test('at 360 px wide the device page needs no sideways scrolling', async (t) => {
    const page = await signedInPage(world, t);
    await page.setViewportSize({ width: 360, height: 740 });
    await openDevice(world, page);
    await page.locator('.chart canvas').waitFor({ timeout: UI_WAIT_MS });
    const width = Number(await page.evaluate('document.documentElement.scrollWidth'));
    assert.ok(width <= 360, `page is ${width} px wide`);
  });

  await t.test('a Viewer cannot write: the controls are disabled and a forced write is 403', async (t) => {
    const viewer = { email: 'viewer@example.com', password: 'viewer-password-1' };
    const created = await world.api('POST', '/api/v1/organization/users/create', {
      ...viewer,
      role: 'viewer',
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const page = await signedInPage(world, t, viewer);
    await openDevice(world, page);
    assert.equal(await page.getByLabel('Relay', { exact: true }).isDisabled(), true);
    assert.equal(await page.getByLabel('Power', { exact: true }).isDisabled(), true);
    assert.equal(await page.getByRole('link', { name: 'Users' }).count(), 0);
    const forced = await sessionWrite(page, world.deviceId, true);
    assert.equal(forced.status, 403);
    assert.match(forced.body, /Your role does not allow this\./);
  });

  await t.test(
    'CSRF: a session write without X-CSRF-Token is refused with 403; with it, accepted',
    async (t) => {
      const page = await signedInPage(world, t);
      const refused = await sessionWrite(page, world.deviceId, false);
      assert.equal(refused.status, 403);
      assert.match(refused.body, /CSRF token missing or invalid\./);
      const accepted = await sessionWrite(page, world.deviceId, true);
      assert.equal(accepted.status, 204, accepted.body);
    },
  );
});
