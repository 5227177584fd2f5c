import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startPlatform } from '../../src/cli/start-command.js';
import { loadStartConfig } from '../../src/config/start-config.js';
import { createLogger } from '../../src/observability/logger.js';
import { basicHeader } from '../helpers/http-api.js';
import { connectClient, connectRefused, uniqueId } from '../helpers/mqtt-client.js';
import { callerFor } from '../helpers/platform.js';
import { tempDataDir } from '../helpers/platform-server.js';

/**
 * spec §9 "Tokens and secrets": the process runs at `trace` with every log line captured, then
 * the secrets used in the requests are searched for in the output.
 */
test('spec §9 no secret in logs: bad passwords, OAuth token requests, device token logins, console sign-ins (pino at trace)', async (t) => {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'trace',
    destination: { write: (line: string) => void lines.push(line) },
  });
  const dataDir = await tempDataDir(t);
  const ports = ['--host', '127.0.0.1', '--mqtt-port', '0', '--mqtts-port', 'off', '--http-port', '0'];
  const config = loadStartConfig({
    argv: ['--data-dir', dataDir, ...ports, '--https-port', 'off', '--log-level', 'trace'],
    env: {},
    cwd: dataDir,
  });
  const running = await startPlatform(config, logger);
  t.after(() => running.close());
  const http = `http://127.0.0.1:${running.server.addresses.http}`;
  const mqttPort = running.server.addresses.mqtt!;
  const { clientId, clientSecret } = running.admin.credentials;
  const wrongSecret = `${clientSecret.slice(0, -6)}WRONG1`;
  const token = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${http}/oauth2/token?${path}`, { method: 'POST', headers });

  // Console sign-ins (right and wrong password) and a request with the session cookie, first:
  // the failed-login throttle has not been spent yet.
  const { email, password } = running.admin.credentials;
  assert.ok(email !== undefined && password !== undefined);
  const wrongPassword = `${password.slice(0, -6)}WRONG2`;
  const signIn = (pw: string) =>
    fetch(`${http}/api/v1/session/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: pw }),
    });
  assert.equal((await signIn(wrongPassword)).status, 401);
  const signedIn = await signIn(password);
  assert.equal(signedIn.status, 200);
  const cookie = signedIn.headers.getSetCookie()[0]!.split(';')[0]!;
  const { csrfToken } = (await signedIn.json()) as { csrfToken: string };
  await fetch(`${http}/api/v1/organization/profile`, { headers: { cookie } });

  // OAuth token requests: Basic, query-parameter credentials, a wrong secret, a refresh.
  const granted = await token('grant_type=client_credentials', {
    authorization: basicHeader(clientId, clientSecret),
  });
  assert.equal(granted.status, 200);
  const tokens = (await granted.json()) as { access_token: string; refresh_token: string };
  const byQuery = await token(
    `grant_type=client_credentials&client_id=${clientId}&client_secret=${encodeURIComponent(clientSecret)}`,
  );
  assert.equal(byQuery.status, 200);
  const queryTokens = (await byQuery.json()) as { access_token: string; refresh_token: string };
  const refused = await token('grant_type=client_credentials', {
    authorization: basicHeader(clientId, wrongSecret),
  });
  assert.ok(refused.status >= 400);
  const refreshed = await token(`grant_type=refresh_token&refresh_token=${tokens.refresh_token}`, {
    authorization: basicHeader(clientId, clientSecret),
  });
  assert.equal(refreshed.status, 200);
  const refreshedTokens = (await refreshed.json()) as { access_token: string; refresh_token: string };
  const badBearer = `${tokens.access_token.slice(0, -4)}abcd`;
  for (const bearer of [tokens.access_token, badBearer]) {
    await fetch(`${http}/api/v1/organization/profile`, { headers: { authorization: `Bearer ${bearer}` } });
  }

  // Device token logins over MQTT (good and bad) and an OAuth client login with a bad password.
  const caller = callerFor(running.admin.root.id);
  const template = await running.platform.templates.create(caller, { name: 'Log Probe' });
  const { token: deviceToken } = await running.platform.devices.create(caller, {
    templateId: template.id,
    name: 'Log Probe 1',
  });
  const badDeviceToken = `${deviceToken.slice(0, -5)}QQQQQ`;
  await connectClient(t, mqttPort, { clientId: uniqueId('log'), username: 'device', password: deviceToken });
  await connectRefused(t, mqttPort, { protocolVersion: 5, username: 'device', password: badDeviceToken });
  await connectRefused(t, mqttPort, { protocolVersion: 4, username: clientId, password: wrongSecret });
  // The device HTTPS API carries the token in the query string.
  await fetch(`${http}/external/api/isHardwareConnected?token=${deviceToken}`);
  await fetch(`${http}/external/api/update?token=${badDeviceToken}&v1=1`);

  await running.close();
  const output = lines.join('');
  assert.ok(output.includes('devgate listening'), 'the capture saw the process log');
  const secrets = {
    clientSecret,
    wrongSecret,
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    queryAccessToken: queryTokens.access_token,
    refreshedAccessToken: refreshedTokens.access_token,
    refreshedRefreshToken: refreshedTokens.refresh_token,
    badBearer,
    deviceToken,
    badDeviceToken,
    password,
    wrongPassword,
    sessionCookie: cookie.split('=')[1]!,
    csrfToken,
  };
  for (const [what, secret] of Object.entries(secrets)) {
    assert.ok(!output.includes(secret), `${what} appears in the logs`);
  }
});
