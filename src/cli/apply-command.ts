import { readFile } from 'node:fs/promises';
import { type Change, type ChangeAction, Reconciler } from './apply-reconcile.js';
import { parseApplyDocument } from './apply-spec.js';
import { type CliIo, ExitCode } from './io.js';
import { ApiError, type ManagementApi } from './manage-api.js';
import { COMMON_FLAGS_HELP, parseCommandArgs, UsageError } from './manage-args.js';
import type { ManageDeps } from './manage-command.js';
import { reportFailure } from './manage-command.js';
import { openManagementApi } from './manage-connect.js';
import { table } from './manage-output.js';
import { readDocument } from './manage-template.js';

export const APPLY_USAGE = `Usage: devgate apply <file.yaml|file.json> [--dry-run] [options]

Creates or updates organizations, templates and devices so they match the file; running it again
changes nothing. Nothing is deleted. Example:

  organizations:
    - name: Acme
      tz: Europe/Kyiv
      organizations:
        - name: Plant 1
  templates:
    - name: Thermostat            # or identify it by templateId: TMPL…
      org: Acme                   # org path below the credentials' org; default: that org
      gatewayEnabled: true
      datastreams:
        - { name: Temperature, pin: 0, type: Double, min: -40, max: 125, isSync: true }
      events:
        - { code: overheat, type: WARNING }
  devices:
    - { name: Boiler 1, template: Thermostat, org: Acme/Plant 1 }

Child lists (datastreams, events, metaFields) are matched by name (events by code) and replace
the stored lists; fields a list item leaves out keep their stored values.

  --dry-run                show what would change without changing anything
${COMMON_FLAGS_HELP}`;

const COUNTED: readonly ChangeAction[] = ['created', 'updated', 'unchanged', 'failed'];

function summaryText(changes: readonly Change[], dryRun: boolean): string {
  const rows = changes.map((c) => ({
    ...c,
    shown: dryRun && c.action !== 'unchanged' && c.action !== 'failed' ? `would be ${c.action}` : c.action,
  }));
  const listing = table(rows, [
    { title: 'kind', value: (c) => c.kind },
    { title: 'name', value: (c) => c.name },
    { title: 'id', value: (c) => (c.id !== undefined && c.id > 0 ? c.id : undefined) },
    { title: 'result', value: (c) => (c.detail === undefined ? c.shown : `${c.shown} (${c.detail})`) },
  ]);
  const counts = COUNTED.map(
    (action) => [action, changes.filter((c) => c.action === action).length] as const,
  );
  const changed = counts.some(([action, n]) => (action === 'created' || action === 'updated') && n > 0);
  const word = (action: ChangeAction): string =>
    dryRun && action === 'created' ? 'to create' : dryRun && action === 'updated' ? 'to update' : action;
  const totals = counts.filter(([, n]) => n > 0).map(([action, n]) => `${n} ${word(action)}`);
  const verdict = changed ? totals.join(', ') : `nothing to change (${totals.join(', ') || 'empty file'})`;
  const tokenHint = changes.some((c) => c.kind === 'device' && c.token !== undefined)
    ? "New device tokens: 'devgate device token <id>' (or --json).\n"
    : '';
  return `${listing}${dryRun ? 'Dry run: ' : ''}${verdict}\n${tokenHint}`;
}

function print(io: CliIo, changes: readonly Change[], dryRun: boolean, json: boolean): void {
  if (json) {
    const counts = Object.fromEntries(COUNTED.map((a) => [a, changes.filter((c) => c.action === a).length]));
    io.stdout.write(`${JSON.stringify({ dryRun, ...counts, changes }, null, 2)}\n`);
  } else {
    io.stdout.write(summaryText(changes, dryRun));
  }
}

/** `devgate apply FILE`: declarative, idempotent create-or-update of orgs, templates and devices. */
export async function runApply(argv: readonly string[], io: CliIo, deps: ManageDeps = {}): Promise<ExitCode> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(APPLY_USAGE);
    return ExitCode.Ok;
  }
  let api: ManagementApi | undefined;
  let reconciler: Reconciler | undefined;
  let flags: { json?: boolean; dryRun?: boolean } = {};
  try {
    const args = parseCommandArgs(argv, { 'dry-run': 'boolean' });
    flags = { json: args.flags.json === true, dryRun: args.flags['dry-run'] === true };
    const [file, ...extra] = args.positionals;
    if (file === undefined) throw new UsageError('missing file');
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const context = { cwd: io.cwd, readFile: deps.readFile ?? ((path: string) => readFile(path, 'utf8')) };
    const doc = parseApplyDocument(await readDocument(file, context), file);
    api = await (deps.openApi ?? openManagementApi)(args.flags, io);
    reconciler = new Reconciler(api, flags.dryRun === true);
    const changes = await reconciler.apply(doc);
    print(io, changes, flags.dryRun === true, flags.json === true);
    return changes.some((c) => c.action === 'failed') ? ExitCode.Failure : ExitCode.Ok;
  } catch (err) {
    // Show what was done before the failure, then the failure itself.
    if (err instanceof ApiError && reconciler !== undefined && reconciler.changes.length > 0) {
      print(io, reconciler.changes, flags.dryRun === true, flags.json === true);
    }
    return reportFailure(
      io,
      'devgate apply',
      err,
      'Usage: devgate apply <file> [--dry-run] (see: devgate apply --help)\n',
    );
  } finally {
    await api?.close();
  }
}
