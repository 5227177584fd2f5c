import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { REACHABLE, TargetKind } from '../../helpers/gateway-world.js';
import { publishCode, subscribeCode } from './gateway-mqtt.js';
import { LOGINS, startGatewayServer, VERSIONS } from './gateway-server.js';

/** One publish of each uplink topic kind (spec §3.2), through the prefix. */
const PUBLISHES: ReadonlyArray<readonly [topic: string, payload: string]> = [
  ['ds/Power', '1'],
  ['batch_ds', '{"Power":2,"Label":"x"}'],
  ['info/mcu', '{"ver":"1.0.0","rxbuff":1024}'],
  ['event/alarm', 'hot'],
  ['meta/Serial', 'SN-1'],
  ['get/ds', 'Power'],
];

const ALL_KINDS = Object.values(TargetKind);

/**
 * spec §4.2 / §9 "Gateway scope": every credential kind × target × operation. A reachable target
 * (same org, child, sub-sub org) acts; every other target (parent, sibling, other tree, unknown,
 * deleted, malformed token) gets exactly the same answer (v5 0x87, 3.1.1 acknowledged and dropped;
 * SUBACK 0x87 / 0x80), no text at all, and none of its data is touched or revealed.
 */
describe('gateway security matrix (spec §4.2, §9)', () => {
  test('spec §4.2 credential kind × target × operation gives the expected answer and leaks nothing', async (t) => {
    // The same event reaches each target once per login and version: no spec §7.1 interval here.
    const s = await startGatewayServer(t, ['--event-interval-ms', '0']);
    const { platform } = s.running;
    for (const login of LOGINS) {
      for (const version of VERSIONS) {
        const { client, inbox } = await s.gateway(login, version);
        const answers: Record<string, number[]> = {};
        for (const kind of ALL_KINDS) {
          const token = s.world.tokens[kind];
          const codes = [await subscribeCode(client, `dev/${token}/downlink/#`)];
          for (const [topic, payload] of PUBLISHES)
            codes.push(await publishCode(client, `dev/${token}/${topic}`, payload));
          answers[kind] = codes;
        }
        const granted = [1, ...PUBLISHES.map(() => 0)];
        const refused =
          version === 5
            ? [ReasonCode.NotAuthorized, ...PUBLISHES.map(() => ReasonCode.NotAuthorized)]
            : [0x80, ...PUBLISHES.map(() => 0)];
        const expected = Object.fromEntries(ALL_KINDS.map((k) => [k, REACHABLE.has(k) ? granted : refused]));
        assert.deepEqual(answers, expected, `${login} v${version}`);
        // The only messages: the get/ds answers of reachable targets, under their own prefix.
        const reachableTokens = [...REACHABLE].map((k) => s.world.tokens[k]);
        const received = await inbox.take(REACHABLE.size);
        assert.deepEqual(
          received.map((m) => [m.topic, m.payload.toString()]).sort(),
          reachableTokens.map((token) => [`dev/${token}/downlink/ds/Power`, '2']).sort(),
          `${login} v${version}`,
        );
        await inbox.expectNone(100);
        await client.endAsync();
      }
    }
    // Every refusal is counted as a scope denial in /metrics (devgate_mqtt_denials_total{by="scope"}).
    const refusals = LOGINS.length * VERSIONS.length * (ALL_KINDS.length - REACHABLE.size);
    const metrics = s.running.server.broker.metrics;
    assert.equal(metrics.subscribeDenied.scope, refusals);
    assert.equal(metrics.publishDenied.scope, refusals * PUBLISHES.length);
    assert.equal(metrics.publishDenied.authorizer + metrics.subscribeDenied.authorizer, 0);
    for (const kind of [TargetKind.Parent, TargetKind.Sibling, TargetKind.OtherTree]) {
      const { device } = s.world.targets[kind]!;
      const stored = await platform.devices.byId(device.id);
      assert.deepEqual(await platform.devices.currentValues(device.id), [], kind);
      assert.deepEqual(
        (await platform.devices.metaValues(device.id)).filter((m) => m.value === 'SN-1'),
        [],
        kind,
      );
      assert.equal(stored?.hardwareInfo, undefined, kind);
      const root = { orgId: s.world.orgs.root, actor: 'test' };
      assert.equal((await platform.devices.events(root, device.id, {})).content.length, 0, kind);
    }
    for (const kind of REACHABLE) {
      const { device } = s.world.targets[kind]!;
      assert.deepEqual(await s.values(device.id), { v1: 2, v3: 'x' }, kind);
      assert.equal((await platform.devices.byId(device.id))?.hardwareInfo?.version, '1.0.0', kind);
    }
  });
});
