import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { startPlatformServer, tempDataDir } from '../helpers/platform-server.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Published by node_exporter's textfile collector (docs/operations.md "Alerting"), not by devgate. */
const FROM_TEXTFILE_COLLECTOR = new Set(['devgate_sqlite_wal_bytes']);

interface Rules {
  groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
}

test('deploy/prometheus-alerts.yml: every devgate_/process_ series an alert uses is on /metrics', async (t) => {
  const rules = parse(await readFile(join(ROOT, 'deploy', 'prometheus-alerts.yml'), 'utf8')) as Rules;
  const exprs = rules.groups.flatMap((group) => group.rules.map((rule) => rule.expr));
  assert.ok(exprs.length >= 6);
  const used = new Set(
    exprs.flatMap((expr) => [...expr.matchAll(/\b(?:devgate|process)_[a-z0-9_]+/g)].map((m) => m[0])),
  );

  const server = await startPlatformServer(t, await tempDataDir(t, 'devgate-alerts-'), ['--persistence']);
  const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
  const exposed = new Set([...metrics.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!));
  for (const name of used) {
    if (FROM_TEXTFILE_COLLECTOR.has(name)) continue;
    const family = name.replace(/_(bucket|sum|count)$/, '');
    assert.ok(exposed.has(name) || exposed.has(family), `${name} is not exported by devgate start`);
  }
});
