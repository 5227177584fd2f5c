import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defaultLimits } from '../../src/config/limits.js';
import { checkHaproxyConfig, haproxyOrSkip } from '../helpers/haproxy.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CONFIG = join(ROOT, 'deploy', 'haproxy.cfg');
const LONGEST_V311_KEEP_ALIVE_S = 300;

/** `backend NAME` sections of an HAProxy file: their lines, comments left out. */
function backends(text: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const section = /^(global|defaults|frontend|backend|listen)\b\s*(\S*)/.exec(line);
    if (section !== null) {
      current = section[1] === 'backend' ? [] : undefined;
      if (current !== undefined) found.set(section[2]!, current);
    } else current?.push(line);
  }
  return found;
}

function seconds(value: string): number {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(value);
  assert.ok(match !== null, value);
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  return Number(match[1]) * units[match[2] ?? 'ms']!;
}

describe('deploy/haproxy.cfg (the three-node cluster configuration for operators)', () => {
  test('haproxy -c accepts it without a warning', (t) => {
    const binary = haproxyOrSkip(t);
    if (binary === undefined) return;
    const { status, output } = checkHaproxyConfig(binary, CONFIG);
    assert.equal(status, 0, output);
    assert.doesNotMatch(output, /WARNING|ALERT/, output);
  });

  test('every backend balances leastconn over three nodes with PROXY v2, checked on /readyz; timeouts outlive the MQTT keep-alive', async () => {
    const text = await readFile(CONFIG, 'utf8');
    const found = backends(text);
    assert.deepEqual([...found.keys()].sort(), [
      'devgate_http',
      'devgate_https',
      'devgate_mqtt',
      'devgate_mqtts',
    ]);
    for (const [name, lines] of found) {
      assert.ok(lines.includes('balance leastconn'), name);
      const servers = lines.filter((l) => l.startsWith('server '));
      assert.equal(servers.length, 3, name);
      const proxied = lines.some((l) => l.startsWith('default-server') && l.includes('send-proxy-v2'));
      for (const server of servers) assert.ok(proxied || server.includes('send-proxy-v2'), server);
    }
    assert.ok(found.get('devgate_http')!.includes('option httpchk GET /readyz'));
    // A quiet but healthy connection pings once per keep-alive, and the server waits 1.5 × it
    // [MQTT-3.1.2-22]; the balancer must wait longer: MQTT 5 clients are capped at --max-keep-alive,
    // MQTT 3.1.1 clients choose their own (up to 300 s is common).
    for (const side of ['client', 'server']) {
      const value = new RegExp(`^\\s*timeout ${side} (\\S+)`, 'm').exec(text)?.[1];
      assert.ok(value !== undefined, side);
      assert.ok(
        seconds(value) > 1.5 * Math.max(defaultLimits.maxKeepAlive, LONGEST_V311_KEEP_ALIVE_S),
        `timeout ${side} ${value}`,
      );
    }
  });
});
