import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEMO_DEVICE_NAMES, DEMO_TEMPLATE_NAME, ensureDemo } from '../../../src/cli/demo.js';
import { connectHost, demoCommands, demoText, shellQuote } from '../../../src/cli/demo-commands.js';
import { OrgType } from '../../../src/platform/model.js';
import { callerFor, openTestPlatform } from '../../helpers/platform.js';

describe('devgate start --demo', () => {
  test('creates a gateway-enabled template with one datastream of each type, events, metadata and three devices, once', async (t) => {
    const platform = await openTestPlatform(t);
    const root = await platform.orgs.createRoot({ name: 'Root Org', type: OrgType.Root });
    const caller = callerFor(root.id, 'system');
    const demo = await ensureDemo(platform, caller);
    const template = await platform.templates.get(caller, demo.templateId);
    assert.equal(template.name, DEMO_TEMPLATE_NAME);
    assert.equal(template.gatewayEnabled, true);
    assert.deepEqual(
      new Set(template.datastreams.map((d) => d.type)),
      new Set(['Integer', 'Double', 'String', 'Enum', 'Location', 'Boolean']),
    );
    const mode = template.datastreams.find((d) => d.name === 'Mode')!;
    assert.equal(mode.enumFallback, 0);
    assert.deepEqual(
      mode.enumValues?.map((e) => e.label),
      ['Off', 'Heat', 'Cool'],
    );
    assert.ok(template.events.length >= 1);
    assert.ok(template.metaFields.some((m) => !m.builtIn && m.name === 'Serial Number'));
    assert.deepEqual(
      demo.datastreams.map((d) => [d.name, d.pin]),
      template.datastreams.map((d) => [d.name, d.pin]),
    );
    assert.deepEqual(
      demo.devices.map((d) => d.name),
      [...DEMO_DEVICE_NAMES],
    );
    for (const device of demo.devices) {
      assert.equal((await platform.devices.authenticateToken(device.token))?.id, device.id);
    }

    const again = await ensureDemo(platform, caller);
    assert.deepEqual(again, demo, 'a restart finds the same template, devices and tokens');
    assert.equal((await platform.templates.list(caller)).totalElements, 1);
    assert.equal((await platform.devices.list(caller, {})).totalElements, 3);
    // A deleted demo device is recreated; the others are kept.
    await platform.devices.delete(caller, demo.devices[1]!.id);
    const repaired = await ensureDemo(platform, caller);
    assert.equal(repaired.devices[0]!.id, demo.devices[0]!.id);
    assert.notEqual(repaired.devices[1]!.id, demo.devices[1]!.id);
  });

  test('copy-paste commands use the bound ports and quote what the shell would split', () => {
    const demo = {
      templateId: 'TMPL12345678',
      datastreams: [{ id: 1, name: 'Temperature', pin: 0, type: 'Double' as const }],
      devices: [1, 2, 3].map((id) => ({
        id,
        name: `Demo Device ${id}`,
        token: `token-${id}`.padEnd(32, 'x'),
      })),
    };
    const admin = { orgId: 1, clientId: 'oa2-client-id_abc', clientSecret: "it's" };
    const groups = demoCommands(demo, {
      host: connectHost('0.0.0.0'),
      mqttPort: 1884,
      httpPort: 8081,
      admin,
    });
    const lines = groups.flatMap((g) => g.commands);
    assert.ok(
      lines.includes(
        `mosquitto_sub -h 127.0.0.1 -p 1884 -u device -P ${demo.devices[0]!.token} -t 'downlink/#' -v`,
      ),
    );
    assert.ok(
      lines.includes(
        `mosquitto_pub -h 127.0.0.1 -p 1884 -u device -P ${demo.devices[1]!.token} -t ds/Temperature -m 21.5`,
      ),
    );
    assert.ok(
      lines.some((l) =>
        l.includes(`-u oa2-client-id_abc -P 'it'\\''s' -t dev/${demo.devices[2]!.token}/ds/Power`),
      ),
    );
    assert.ok(lines.some((l) => l.includes(`'dev/${demo.devices[2]!.token}/downlink/#'`)));
    assert.ok(lines.some((l) => l.includes('http://127.0.0.1:8081/oauth2/token')));
    // The listening device gets a downlink to print (Set Temperature, V2), written over HTTP.
    assert.ok(
      lines.includes(
        `curl -s 'http://127.0.0.1:8081/external/api/update?token=${demo.devices[0]!.token}&v2=22.5'`,
      ),
    );
    assert.equal(demoCommands(demo, { host: '10.0.0.5', admin }).length, 0, 'no ports, no commands');
    assert.match(demoText(demo, [], '/d/demo.json'), /MQTT over TCP is off/);
    assert.equal(shellQuote('abc-_.:/'), 'abc-_.:/');
    assert.equal(shellQuote('a b'), "'a b'");
    assert.equal(connectHost('::'), '127.0.0.1');
    assert.equal(connectHost('192.168.1.2'), '192.168.1.2');
  });
});
