import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { runApply } from '../../src/cli/apply-command.js';
import { ExitCode } from '../../src/cli/io.js';
import { RESOURCES, runManage } from '../../src/cli/manage-command.js';
import { captureIo } from '../helpers/cli-io.js';
import { startPlatformServer, tempDataDir } from '../helpers/platform-server.js';

const PLANT = `
organizations:
  - name: Acme
    tz: Europe/Kyiv
    organizations:
      - name: Plant 1
        description: first plant
templates:
  - name: Thermostat
    org: Acme
    gatewayEnabled: true
    datastreams:
      - { name: Temperature, pin: 0, type: Double, min: -40, max: 125, units: "°C", isSync: true }
      - name: Mode
        pin: 1
        type: Enum
        enumValues: [{ value: 0, label: "Off" }, { value: 1, label: "On" }]
        enumFallback: 0
    events:
      - { code: overheat, type: WARNING }
    metaFields:
      - { name: Serial, type: Text }
devices:
  - { name: Boiler 1, template: Thermostat, org: Acme/Plant 1 }
  - { name: Boiler 2, template: Thermostat, org: Acme }
`;

interface Summary {
  dryRun: boolean;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  changes: Array<{
    kind: string;
    name: string;
    action: string;
    id?: number;
    detail?: string;
    token?: string;
  }>;
}

/** Runs `devgate apply` in-process with the given flags; returns exit code, JSON summary and stderr. */
async function apply(dir: string, file: string, flags: readonly string[]) {
  const io = captureIo(dir);
  const code = await runApply([file, '--json', '--data-dir', join(dir, 'data'), ...flags], io);
  const summary = io.out.stdout === '' ? undefined : (JSON.parse(io.out.stdout) as Summary);
  return { code, summary, stderr: io.out.stderr };
}

async function withDocument(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function serverFor(t: TestContext): Promise<{ dir: string; flags: string[] }> {
  const dir = await tempDataDir(t, 'devgate-apply-');
  const running = await startPlatformServer(t, join(dir, 'data'));
  return { dir, flags: ['--url', running.httpUrl] };
}

describe('devgate apply', () => {
  test('creates orgs, templates and devices; a second run changes nothing; a changed field is updated', async (t) => {
    const { dir, flags } = await serverFor(t);
    const file = await withDocument(dir, 'plant.yaml', PLANT);
    const first = await apply(dir, file, flags);
    assert.equal(first.code, ExitCode.Ok, first.stderr);
    assert.deepEqual(
      first.summary!.changes.map((c) => [c.kind, c.name, c.action]),
      [
        ['org', 'Acme', 'created'],
        ['org', 'Acme/Plant 1', 'created'],
        ['template', 'Thermostat', 'created'],
        ['device', 'Acme/Plant 1/Boiler 1', 'created'],
        ['device', 'Acme/Boiler 2', 'created'],
      ],
    );
    for (const device of first.summary!.changes.filter((c) => c.kind === 'device')) {
      assert.match(device.token ?? '', /^[A-Za-z0-9_-]{32}$/);
    }

    const second = await apply(dir, file, flags);
    assert.equal(second.code, ExitCode.Ok, second.stderr);
    assert.equal(second.summary!.unchanged, 5);
    assert.equal(second.summary!.created + second.summary!.updated, 0);
    const text = captureIo(dir);
    assert.equal(await runApply([file, '--data-dir', join(dir, 'data'), ...flags], text), ExitCode.Ok);
    assert.match(text.out.stdout, /nothing to change \(5 unchanged\)/);

    const changed = PLANT.replace('max: 125', 'max: 150').replace(
      'description: first plant',
      'description: main plant',
    );
    const third = await apply(dir, await withDocument(dir, 'plant2.yaml', changed), flags);
    assert.equal(third.code, ExitCode.Ok, third.stderr);
    const updated = third.summary!.changes.filter((c) => c.action === 'updated');
    assert.deepEqual(
      updated.map((c) => [c.name, c.detail]),
      [
        ['Acme/Plant 1', 'description'],
        ['Thermostat', 'datastreams'],
      ],
    );
    // The datastream kept its identity (matched by name) and took the new bound.
    const get = captureIo(dir);
    const template = third.summary!.changes.find((c) => c.kind === 'template')!;
    const args = ['get', String(template.id), '--json', '--data-dir', join(dir, 'data'), ...flags];
    assert.equal(await runManage(RESOURCES.template!, args, get), ExitCode.Ok, get.out.stderr);
    const stored = JSON.parse(get.out.stdout) as {
      datastreams: Array<{ id: number; name: string; max?: number }>;
    };
    const firstGet = stored.datastreams.find((d) => d.name === 'Temperature')!;
    assert.equal(firstGet.max, 150);
    assert.equal((await apply(dir, join(dir, 'plant2.yaml'), flags)).summary!.unchanged, 5);
  });

  test('--dry-run shows the plan and writes nothing', async (t) => {
    const { dir, flags } = await serverFor(t);
    const file = await withDocument(dir, 'plant.yaml', PLANT);
    const dry = await apply(dir, file, [...flags, '--dry-run']);
    assert.equal(dry.code, ExitCode.Ok, dry.stderr);
    assert.equal(dry.summary!.dryRun, true);
    assert.equal(dry.summary!.created, 5);
    const real = await apply(dir, file, flags);
    assert.equal(real.summary!.created, 5, 'nothing was created by the dry run');
  });

  test('--offline works on the data directory with the same result, and is refused while a server runs', async (t) => {
    const dir = await tempDataDir(t, 'devgate-apply-');
    const running = await startPlatformServer(t, join(dir, 'data'));
    const file = await withDocument(
      dir,
      'plant.json',
      JSON.stringify({ organizations: [{ name: 'Offline Org' }] }),
    );
    const refused = await apply(dir, file, ['--offline']);
    assert.equal(refused.code, ExitCode.Usage);
    assert.match(refused.stderr, /is in use by devgate start \(pid \d+\); stop it first/);
    await running.close();
    const first = await apply(dir, file, ['--offline']);
    assert.equal(first.code, ExitCode.Ok, first.stderr);
    assert.equal(first.summary!.created, 1);
    const second = await apply(dir, file, ['--offline']);
    assert.equal(second.summary!.unchanged, 1);
    // The server sees what the offline run wrote.
    const again = await startPlatformServer(t, join(dir, 'data'));
    const viaHttp = await apply(dir, file, ['--url', again.httpUrl]);
    assert.equal(viaHttp.summary!.unchanged, 1);
  });

  test('bad input: malformed or misshapen files exit 2; refused items fail (exit 1) while the rest is applied', async (t) => {
    const { dir, flags } = await serverFor(t);
    const malformed = await apply(dir, await withDocument(dir, 'bad.yaml', 'organizations: [\n'), flags);
    assert.equal(malformed.code, ExitCode.Usage);
    assert.match(malformed.stderr, /not valid YAML or JSON/);
    const typo = await apply(dir, await withDocument(dir, 'typo.yaml', 'organisations: []\n'), flags);
    assert.equal(typo.code, ExitCode.Usage);
    assert.match(typo.stderr, /unknown field "organisations"/);
    const missing = await apply(dir, await withDocument(dir, 'm.yaml', 'devices:\n  - { name: X }\n'), flags);
    assert.equal(missing.code, ExitCode.Usage);
    assert.match(missing.stderr, /devices\[0\]\.template: expected a non-empty string/);
    assert.equal((await apply(dir, join(dir, 'absent.yaml'), flags)).code, ExitCode.Usage);

    const mixed = `
organizations:
  - name: Good Org
templates:
  - name: Broken
    datastreams:
      - { name: "bad/name", pin: 0, type: Integer }
devices:
  - { name: Orphan, template: Nowhere }
  - { name: Lost, template: Broken, org: No Such Org }
`;
    const result = await apply(dir, await withDocument(dir, 'mixed.yaml', mixed), flags);
    assert.equal(result.code, ExitCode.Failure);
    const byName = new Map(result.summary!.changes.map((c) => [c.name, c]));
    assert.equal(byName.get('Good Org')?.action, 'created');
    assert.equal(byName.get('Broken')?.action, 'failed');
    assert.ok((byName.get('Broken')?.detail ?? '').length > 0, 'the server says why');
    assert.match(byName.get('Orphan')?.detail ?? '', /template "Nowhere" not found/);
    assert.match(byName.get('No Such Org/Lost')?.detail ?? '', /organization "No Such Org" not found/);
  });
});
