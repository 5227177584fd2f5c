import { CONFIG_OPTION, OPTIONS, type OptionSpec } from '../config/options.js';

export const MAIN_USAGE = `Usage: devgate <command> [options]

Commands:
  broker [options]               run the MQTT 3.1.1/5.0 broker (see: devgate broker --help)
  passwd <file> <username>       add or update a user in a password file
                                 (password from stdin, or --password <p>; --iterations <n>)

Options:
  -h, --help                     show this help
  -v, --version                  print the version
`;

function flagText(spec: OptionSpec): string {
  if (spec.kind === 'boolean') return `--[no-]${spec.flag}`;
  const value = spec.kind === 'port' ? '<port|off>' : spec.kind === 'ports' ? '<ports|off>' : '<value>';
  return `--${spec.flag} ${value}`;
}

/** Help for `devgate broker`, generated from the option table so it cannot drift. */
export function brokerUsage(): string {
  const rows = OPTIONS.map((spec) => {
    const left = `  ${flagText(spec)}`.padEnd(42);
    return `${left} ${spec.env}\n${' '.repeat(43)}${spec.description} (default ${spec.defaultText})`;
  });
  return [
    'Usage: devgate broker [options]',
    '',
    'Every option may also come from its environment variable or from a JSON config file;',
    'precedence: flags > environment > config file > defaults. Docs: docs/configuration.md',
    '',
    `${`  --${CONFIG_OPTION.flag} <file>`.padEnd(42)} ${CONFIG_OPTION.env}`,
    `${' '.repeat(43)}JSON config file`,
    ...rows,
    '',
  ].join('\n');
}
