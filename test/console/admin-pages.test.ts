import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserSkipReason, openConsoleWorld, signedInPage } from '../helpers/console-world.js';
import { connectClient } from '../helpers/mqtt-client.js';

/**
 * The console's management pages in headless Chromium against `devgate start`: what each page
 * does is checked through the Platform API, not only on screen.
 */

// Generous: the suite runs two test files at once on shared CPUs, and Chromium is the heaviest.
const UI_WAIT_MS = 20_000;

interface Listed<T> {
  content: T[];
}

const skip = browserSkipReason();

test('web console management pages in Chromium', { skip }, async (t) => {
  const world = await openConsoleWorld(t);

  await t.test(
    'templates: the datastream editor saves types, ranges, enum values and the gateway flag',
    async (t) => {
      const page = await signedInPage(world, t);
      // The first page of the run: the list must have loaded (its render done) before the click.
      const listed = page.waitForResponse((r) => r.url().includes('/api/v1/organization/templates?'));
      await page.getByRole('link', { name: 'Templates' }).click();
      await listed;
      await page.getByRole('button', { name: 'New template' }).click();
      await page.getByLabel('Template name').fill('Pump');
      await page.getByLabel('Gateway (devices of this template may act for other devices)').check();
      await page.getByRole('button', { name: 'Add datastream' }).click();
      await page.getByLabel('Name of datastream 1').fill('Flow');
      await page.getByLabel('Type of datastream 1').selectOption('Double');
      await page.getByLabel('Minimum of datastream 1').fill('0');
      await page.getByLabel('Maximum of datastream 1').fill('10');
      await page.getByRole('button', { name: 'Add datastream' }).click();
      await page.getByLabel('Name of datastream 2').fill('State');
      await page.getByLabel('Type of datastream 2').selectOption('Enum');
      await page.getByLabel('Enum values of datastream 2').fill('0=Off, 1=On');
      await page.getByLabel('Enum values of datastream 2').press('Tab');
      await page.getByRole('button', { name: 'Save template' }).click();
      await page.getByRole('heading', { name: 'Pump' }).waitFor({ timeout: UI_WAIT_MS });
      const templates = await world.api('GET', '/api/v1/organization/templates?size=100');
      const pump = (templates.json as Listed<Record<string, unknown>>).content.find((t) => t.name === 'Pump');
      assert.ok(pump !== undefined);
      assert.equal(pump.gatewayEnabled, true);
      const streams = pump.datastreams as Array<Record<string, unknown>>;
      assert.deepEqual(
        streams.map((d) => [d.name, d.pin, d.type, d.min, d.max]),
        [
          ['Flow', 0, 'Double', 0, 10],
          ['State', 1, 'Enum', undefined, undefined],
        ],
      );
      assert.deepEqual(streams[1]?.enumValues, [
        { value: 0, label: 'Off' },
        { value: 1, label: 'On' },
      ]);
    },
  );

  await t.test(
    'OAuth clients: the secret is shown once and works; disable and delete reach the server',
    async (t) => {
      const page = await signedInPage(world, t);
      page.on('dialog', (dialog) => dialog.accept());
      await page.getByRole('link', { name: 'OAuth clients' }).click();
      await page.getByLabel('Client name').fill('Integration');
      await page.getByRole('button', { name: 'Create client' }).click();
      const notice = page.getByRole('status');
      const secret = (await notice.locator('code.secret').textContent()) ?? '';
      const clientId = (await notice.locator('strong').textContent()) ?? '';
      const token = await fetch(`${world.httpUrl}/oauth2/token?grant_type=client_credentials`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
      });
      assert.equal(token.status, 200);
      await notice.getByRole('button', { name: 'Done' }).click();
      assert.equal(await page.locator('code.secret').count(), 0);
      const row = page.locator('tr', { hasText: 'Integration' });
      await row.getByRole('button', { name: 'Disable' }).click();
      await row.getByText('disabled').waitFor({ timeout: UI_WAIT_MS });
      const clients = async () =>
        (
          (await world.api('GET', '/api/v1/organization/oauth/clients?size=100')).json as Listed<{
            name: string;
            isActive: boolean;
          }>
        ).content.filter((c) => c.name === 'Integration');
      assert.equal((await clients())[0]?.isActive, false);
      await row.getByRole('button', { name: 'Delete' }).click();
      await row.waitFor({ state: 'detached', timeout: UI_WAIT_MS });
      assert.deepEqual(await clients(), []);
    },
  );

  await t.test('users: create, change the role and delete through the console', async (t) => {
    const page = await signedInPage(world, t);
    page.on('dialog', (dialog) => dialog.accept());
    await page.getByRole('link', { name: 'Users' }).click();
    const form = page.locator('form', { hasText: 'Create user' });
    await form.getByLabel('Email').fill('staff@example.com');
    await form.getByLabel('Password').fill('staff-password-1');
    await form.getByLabel('Role').selectOption('staff');
    await form.getByRole('button', { name: 'Create user' }).click();
    const role = page.getByLabel('Role of staff@example.com');
    await role.waitFor({ timeout: UI_WAIT_MS });
    const users = async () =>
      (
        (await world.api('GET', '/api/v1/organization/users?size=100')).json as Listed<{
          email: string;
          role: string;
        }>
      ).content;
    assert.equal((await users()).find((u) => u.email === 'staff@example.com')?.role, 'staff');
    await role.selectOption('viewer');
    await page.waitForResponse((r) => r.url().includes('/user/role') && r.status() === 200, {
      timeout: UI_WAIT_MS,
    });
    assert.equal((await users()).find((u) => u.email === 'staff@example.com')?.role, 'viewer');
    await page
      .locator('tr', { hasText: 'staff@example.com' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await role.waitFor({ state: 'detached', timeout: UI_WAIT_MS });
    assert.equal(
      (await users()).find((u) => u.email === 'staff@example.com'),
      undefined,
    );
  });

  await t.test('OTA: a firmware file uploaded from the browser is stored and can be shipped', async (t) => {
    const page = await signedInPage(world, t);
    await page.getByRole('link', { name: 'OTA' }).click();
    const bytes = Buffer.concat([Buffer.from('firmware image '), Buffer.alloc(2048, 7)]);
    await page
      .getByLabel('Firmware file')
      .setInputFiles({ name: 'pump-1.2.bin', mimeType: 'application/octet-stream', buffer: bytes });
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByRole('cell', { name: 'pump-1.2.bin', exact: true }).waitFor({ timeout: UI_WAIT_MS });
    const firmware = (await world.api('GET', '/api/v1/organization/ota/firmwares')).json as Listed<{
      name: string;
      size: number;
    }>;
    assert.deepEqual(
      firmware.content.map((f) => [f.name, f.size]),
      [['pump-1.2.bin', bytes.length]],
    );
    await page.getByLabel('Device ids for pump-1.2.bin').fill(String(world.deviceId));
    await page.getByRole('button', { name: 'Ship' }).click();
    await page
      .getByRole('progressbar', { name: 'Devices updated in pump-1.2.bin' })
      .waitFor({ timeout: UI_WAIT_MS });
    const shipments = (await world.api('GET', '/api/v1/organization/ota/shipments')).json as Listed<{
      devices: unknown[];
    }>;
    assert.equal(shipments.content[0]?.devices.length, 1);
  });

  await t.test('the org switcher acts in the chosen sub-organization (X-Devgate-Org)', async (t) => {
    const branch = await world.api('POST', '/api/v1/organization/create', { name: 'Branch office' });
    assert.equal(branch.status, 201, JSON.stringify(branch.json));
    const orgId = (branch.json as { id: number }).id;
    const made = await world.api('POST', '/api/v1/organization/device/create', {
      templateId: 1,
      name: 'Branch meter',
      orgId,
    });
    assert.equal(made.status, 201, JSON.stringify(made.json));
    const page = await signedInPage(world, t);
    await page.getByRole('link', { name: 'Boiler room' }).waitFor({ timeout: UI_WAIT_MS });
    await page.getByLabel('Organization').selectOption({ label: 'Branch office' });
    await page.getByRole('link', { name: 'Branch meter' }).waitFor({ timeout: UI_WAIT_MS });
    assert.equal(await page.getByRole('link', { name: 'Boiler room' }).count(), 0);
  });

  await t.test(
    'spec §5.1 organizations: an Admin creates, renames and deletes a sub-organization; the switcher follows',
    async (t) => {
      const page = await signedInPage(world, t);
      await page.getByRole('link', { name: 'Organizations' }).click();
      await page.getByRole('heading', { name: 'Organizations' }).waitFor({ timeout: UI_WAIT_MS });
      await page.getByLabel('Organization name').fill('Warehouse');
      await page.getByRole('button', { name: 'Create organization' }).click();
      await page.getByRole('cell', { name: 'Warehouse', exact: true }).waitFor({ timeout: UI_WAIT_MS });
      await page.locator('header select option', { hasText: 'Warehouse' }).waitFor({ state: 'attached' });
      page.once('dialog', (dialog) => void dialog.accept('Warehouse North'));
      await page.getByRole('button', { name: 'Rename Warehouse' }).click();
      await page.getByRole('cell', { name: 'Warehouse North', exact: true }).waitFor({ timeout: UI_WAIT_MS });
      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByRole('button', { name: 'Delete Warehouse North' }).click();
      await page.getByRole('cell', { name: 'Warehouse North', exact: true }).waitFor({ state: 'detached' });
      const left = await world.api('GET', '/api/v1/organization/search?query=Warehouse');
      assert.equal((left.json as { totalElements: number }).totalElements, 0);
    },
  );

  await t.test('sign-out ends the session: a reload shows the sign-in page again', async (t) => {
    const page = await signedInPage(world, t);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: UI_WAIT_MS });
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: UI_WAIT_MS });
    assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0);
  });

  await t.test(
    'gateways: the page lists connected Gateway API sessions and the devices they acted for',
    async (t) => {
      const page = await signedInPage(world, t);
      await page.getByRole('link', { name: 'Gateways' }).click();
      await page.getByText('No gateway is connected.').waitFor({ timeout: UI_WAIT_MS });
      // spec §4: a Gateway API login with an OAuth client, acting for a device through dev/{token}/.
      const gateway = await connectClient(t, world.mqttPort, {
        username: world.oauthClient.clientId,
        password: world.oauthClient.clientSecret,
        clientId: 'gw-console-1',
        protocolVersion: 5,
      });
      await gateway.client.publishAsync(`dev/${world.deviceToken}/ds/Power`, '17', { qos: 1 });
      await page.getByRole('button', { name: 'Refresh' }).click();
      const card = page.locator('article', { hasText: 'gw-console-1' });
      await card.waitFor({ timeout: UI_WAIT_MS });
      assert.equal(
        await card.getByRole('link', { name: 'Boiler room' }).getAttribute('href'),
        `/devices/${world.deviceId}`,
      );
    },
  );

  // Last: the rotation ends the device's MQTT login with the old token.
  await t.test('device token: an Admin reveals it and rotates it; the API agrees', async (t) => {
    const page = await signedInPage(world, t);
    page.on('dialog', (dialog) => dialog.accept());
    await page.goto(`${world.httpUrl}/devices/${world.deviceId}`);
    const tokenOf = async () =>
      (
        (await world.api('GET', `/api/v1/organization/device/token?deviceId=${world.deviceId}`)).json as {
          token: string;
        }
      ).token;
    const before = await tokenOf();
    await page.getByRole('button', { name: 'Reveal token' }).click();
    await page.locator('code.secret').filter({ hasText: before }).waitFor({ timeout: UI_WAIT_MS });
    await page.getByRole('button', { name: 'Rotate token' }).click();
    await page.locator('code.secret').filter({ hasNotText: before }).waitFor({ timeout: UI_WAIT_MS });
    const after = await tokenOf();
    assert.notEqual(after, before);
    assert.equal(await page.locator('code.secret').textContent(), after);
  });
});
