import {
  CONFIG_OPTION,
  OPTIONS,
  type OptionSpec,
  PRINT_CONFIG_FLAG,
  START_OPTIONS,
} from '../config/options.js';

export const MAIN_USAGE = `Usage: devgate <command> [options]

Commands:
  start [options]                run the platform: MQTT broker, device tokens, OAuth clients,
                                 HTTP API (see: devgate start --help; --demo for a demo setup)
  broker [options]               run the plain MQTT 3.1.1/5.0 broker (see: devgate broker --help)
  org <action>                   organizations: list, create, get, delete
  template <action>              device templates: list, get, create, update, delete
  device <action>                devices: list, create, get, token, rotate-token, delete
  oauth-client <action>          OAuth clients: list, create, disable, enable, delete
  user <action>                  console users: list, create, set-role, set-password, delete
                                 (these work on a running server, or with --offline on the data
                                 directory; see: devgate device --help)
  apply <file>                   create or update orgs, templates and devices from YAML/JSON
  passwd <file> <username>       add or update a user in a password file
                                 (password from stdin, or --password <p>; --iterations <n>)
  export --out <file>            write a backup archive of all data (safe while running)
  import <file>                  load an archive into an empty data directory
                                 (export/import --database-url <url>: a PostgreSQL database)
  migrate-to --database-url <url>
                                 copy the data directory's SQLite stores into an empty
                                 PostgreSQL database

Options:
  -h, --help                     show this help
  -v, --version                  print the version
`;

function flagText(spec: OptionSpec): string {
  if (spec.kind === 'boolean') return `--[no-]${spec.flag}`;
  const value = spec.kind === 'port' ? '<port|off>' : spec.kind === 'ports' ? '<ports|off>' : '<value>';
  return `--${spec.flag} ${value}`;
}

function optionsUsage(command: string, table: readonly OptionSpec[], intro: readonly string[]): string {
  const rows = table.map((spec) => {
    const left = `  ${flagText(spec)}`.padEnd(42);
    return `${left} ${spec.env}\n${' '.repeat(43)}${spec.description} (default ${spec.defaultText})`;
  });
  return [
    `Usage: devgate ${command} [options]`,
    '',
    ...intro,
    'Every option may also come from its environment variable or from a YAML or JSON config file;',
    'precedence: flags > environment > config file > defaults. Docs: docs/configuration.md',
    '',
    `${`  --${CONFIG_OPTION.flag} <file>`.padEnd(42)} ${CONFIG_OPTION.env}`,
    `${' '.repeat(43)}YAML or JSON config file (top level, or a \`${command}:\` section)`,
    `  --${PRINT_CONFIG_FLAG}`,
    `${' '.repeat(43)}print the effective settings (secrets masked) and their sources, then exit`,
    ...rows,
    '',
  ].join('\n');
}

/** Help for `devgate broker`, generated from the option table so it cannot drift. */
export function brokerUsage(): string {
  return optionsUsage('broker', OPTIONS, []);
}

/** Help for `devgate start`, generated from its option table. */
export function startUsage(): string {
  return optionsUsage('start', START_OPTIONS, [
    'Runs the broker with the platform on top: device tokens, OAuth clients and the HTTP API.',
    'Data (platform.sqlite, secret.key, admin-credentials.json) lives in --data-dir. The first start',
    'creates the root organization and an admin OAuth client. Docs: docs/cli.md',
    '',
  ]);
}
