import { readFile } from 'node:fs/promises';
import { DataFileError } from '../platform/admin-bootstrap.js';
import { DataDirLockedError } from '../store/data-dir-lock.js';
import { type CliIo, ExitCode } from './io.js';
import type { ActionContext, Resource } from './manage-action.js';
import { ApiError, type ManagementApi } from './manage-api.js';
import { COMMON_FLAGS_HELP, type Flags, parseCommandArgs, UsageError } from './manage-args.js';
import { openManagementApi } from './manage-connect.js';
import { deviceResource } from './manage-device.js';
import { oauthClientResource } from './manage-oauth-client.js';
import { orgResource } from './manage-org.js';
import type { Output } from './manage-output.js';
import { templateResource } from './manage-template.js';
import { userResource } from './manage-user.js';

export const RESOURCES: Readonly<Record<string, Resource>> = {
  org: orgResource,
  template: templateResource,
  device: deviceResource,
  'oauth-client': oauthClientResource,
  user: userResource,
};

export function resourceUsage(resource: Resource): string {
  const rows = Object.values(resource.actions).map(
    (action) => `  devgate ${resource.name} ${action.usage}\n      ${action.summary}`,
  );
  return `Usage: devgate ${resource.name} <action> [options]: ${resource.description}\n\n${rows.join('\n')}\n\n${COMMON_FLAGS_HELP}`;
}

/** Opens the API, runs `use`, closes the API; injected in tests. */
export type ApiOpener = (flags: Flags, io: CliIo) => Promise<ManagementApi>;

export interface ManageDeps {
  readonly openApi?: ApiOpener;
  readonly readFile?: (path: string) => Promise<string>;
}

function print(io: CliIo, output: Output, json: boolean): void {
  io.stdout.write(json ? `${JSON.stringify(output.json, null, 2)}\n` : output.text);
}

/** Maps a failure to its exit code and message: 2 for usage and a data directory in use, 1 for the API and data files. */
export function reportFailure(io: CliIo, prefix: string, err: unknown, usageHint: string): ExitCode {
  if (err instanceof UsageError) {
    io.stderr.write(`${prefix}: ${err.message}\n${usageHint}`);
    return ExitCode.Usage;
  }
  if (err instanceof DataDirLockedError) {
    io.stderr.write(`${prefix}: ${err.message}\n`);
    return ExitCode.Usage;
  }
  if (err instanceof ApiError || err instanceof DataFileError) {
    io.stderr.write(`${prefix}: ${err.message}\n`);
    return ExitCode.Failure;
  }
  throw err;
}

/** `devgate <resource> <action> …`: parse, connect (running server or --offline), run, print. */
export async function runManage(
  resource: Resource,
  argv: readonly string[],
  io: CliIo,
  deps: ManageDeps = {},
): Promise<ExitCode> {
  const [name, ...rest] = argv;
  const prefix = `devgate ${resource.name}${name === undefined ? '' : ` ${name}`}`;
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(resourceUsage(resource));
    return ExitCode.Ok;
  }
  const action = name === undefined ? undefined : resource.actions[name];
  if (action === undefined) {
    const what = name === undefined ? 'missing action' : `unknown action "${name}"`;
    io.stderr.write(`devgate ${resource.name}: ${what}\n\n${resourceUsage(resource)}`);
    return ExitCode.Usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(
      `Usage: devgate ${resource.name} ${action.usage}\n  ${action.summary}\n\n${COMMON_FLAGS_HELP}`,
    );
    return ExitCode.Ok;
  }
  const context: ActionContext = {
    cwd: io.cwd,
    readFile: deps.readFile ?? ((path) => readFile(path, 'utf8')),
  };
  const hint = `Usage: devgate ${resource.name} ${action.usage}\n`;
  let api: ManagementApi | undefined;
  try {
    const args = parseCommandArgs(rest, action.flags);
    const prepared = await action.prepare(args, context);
    api = await (deps.openApi ?? openManagementApi)(args.flags, io);
    print(io, await action.run(api, prepared), args.flags.json === true);
    return ExitCode.Ok;
  } catch (err) {
    return reportFailure(io, prefix, err, hint);
  } finally {
    await api?.close();
  }
}
