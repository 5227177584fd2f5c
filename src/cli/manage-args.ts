import { parseArgs } from 'node:util';

/** Bad command line: printed with the usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type FlagType = 'string' | 'boolean';
export type Flags = Readonly<Record<string, string | boolean | undefined>>;

/** Flags every management command accepts: where to work and how to print. */
export const COMMON_FLAGS: Readonly<Record<string, FlagType>> = {
  url: 'string',
  'data-dir': 'string',
  config: 'string',
  'client-id': 'string',
  'client-secret': 'string',
  offline: 'boolean',
  'secret-key-file': 'string',
  json: 'boolean',
};

export const COMMON_FLAGS_HELP = `Where and how (every command):
  --url <url>              base URL of a running server (default: the http port in
                           <data-dir>/listeners.json)
  --client-id <id>         OAuth client id and secret (default: <data-dir>/admin-credentials.json;
  --client-secret <secret>   env DEVGATE_CLIENT_ID / DEVGATE_CLIENT_SECRET)
  --offline                work on the data directory directly (refused while a server runs on it)
  --data-dir <dir>         data directory (default ./data; env DEVGATE_DATA_DIR)
  --secret-key-file <path> with --offline: the key tokens are sealed with (default
                           <data-dir>/secret.key; env DEVGATE_SECRET_KEY_FILE)
  --config <file>          JSON config file (data dir and platform settings, as for devgate start)
  --json                   print JSON instead of a table
`;

export interface ParsedArgs {
  readonly positionals: readonly string[];
  readonly flags: Flags;
}

/** Parses `argv` against the common flags plus `own`; unknown flags are usage errors. */
export function parseCommandArgs(
  argv: readonly string[],
  own: Readonly<Record<string, FlagType>> = {},
): ParsedArgs {
  const options: Record<string, { type: FlagType }> = {};
  for (const [name, type] of Object.entries({ ...COMMON_FLAGS, ...own })) options[name] = { type };
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options,
      strict: true,
      allowPositionals: true,
    });
    return { positionals, flags: values as Flags };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A positive integer id (`7`), or a usage error naming what was expected. */
export function parseId(text: string | undefined, what: string): number {
  if (text === undefined) throw new UsageError(`missing ${what}`);
  if (!/^[1-9]\d{0,15}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${what} must be a positive integer, got "${text}"`);
  }
  return Number(text);
}

/** A template reference: numeric id or `TMPL…`. */
export function parseTemplateRef(text: string | undefined): number | string {
  if (text === undefined) throw new UsageError('missing template id (number or TMPL…)');
  return /^\d+$/.test(text) ? parseId(text, 'template id') : text;
}

export function stringFlag(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === 'string' ? value : undefined;
}

export function requiredFlag(flags: Flags, name: string): string {
  const value = stringFlag(flags, name);
  if (value === undefined || value.trim() === '') throw new UsageError(`--${name} is required`);
  return value;
}

/** Exactly `count` positionals (names for the message), or a usage error. */
export function expectPositionals(args: ParsedArgs, names: readonly string[]): readonly string[] {
  if (args.positionals.length < names.length)
    throw new UsageError(`missing ${names[args.positionals.length]}`);
  if (args.positionals.length > names.length) {
    throw new UsageError(`unexpected argument "${args.positionals[names.length]}"`);
  }
  return args.positionals;
}
