import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { AuthFileError } from '../auth/errors.js';
import { setPasswordEntry, validateUsername } from '../auth/password-file.js';
import { DEFAULT_PBKDF2_ITERATIONS, hashPassword, MAX_PBKDF2_ITERATIONS } from '../auth/password-hash.js';
import { type CliIo, ExitCode } from './io.js';

const USAGE = `Usage: devgate passwd <file> <username> [--password <password>] [--iterations <n>]

Adds or updates <username> in a mosquitto-format password file ($7$ PBKDF2-SHA512, created
with mode 0600 if missing). Without --password the password is read as the first line of stdin.
--iterations defaults to ${DEFAULT_PBKDF2_ITERATIONS}.
`;

interface PasswdArgs {
  readonly file: string;
  readonly username: string;
  readonly password?: string;
  readonly iterations: number;
}

function parse(argv: readonly string[]): PasswdArgs | string {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { password: { type: 'string' }, iterations: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    return (err as Error).message;
  }
  const [file, username, ...extra] = parsed.positionals;
  if (file === undefined || username === undefined || extra.length > 0) return 'expected <file> <username>';
  const problem = validateUsername(username);
  if (problem !== undefined) return problem;
  const iterationsText = parsed.values.iterations;
  const iterations = typeof iterationsText === 'string' ? Number(iterationsText) : DEFAULT_PBKDF2_ITERATIONS;
  if (!Number.isSafeInteger(iterations) || iterations < 1000 || iterations > MAX_PBKDF2_ITERATIONS) {
    return `--iterations must be an integer from 1000 to ${MAX_PBKDF2_ITERATIONS}`;
  }
  const password = parsed.values.password;
  return { file, username, iterations, ...(typeof password === 'string' ? { password } : {}) };
}

/** The first line of stdin (a prompt is shown on a terminal; the input is echoed). */
function readPassword(io: CliIo): Promise<string | undefined> {
  if (io.stdin.isTTY) io.stderr.write('Password: ');
  return new Promise((resolve) => {
    const lines = createInterface({ input: io.stdin, terminal: false });
    let answer: string | undefined;
    lines.once('line', (line) => {
      answer = line;
      lines.close();
    });
    lines.once('close', () => resolve(answer));
  });
}

/** `devgate passwd <file> <username>`. */
export async function runPasswd(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(USAGE);
    return ExitCode.Ok;
  }
  const args = parse(argv);
  if (typeof args === 'string') {
    io.stderr.write(`devgate passwd: ${args}\n${USAGE}`);
    return ExitCode.Usage;
  }
  const password = args.password ?? (await readPassword(io));
  if (password === undefined || password === '') {
    io.stderr.write('devgate passwd: empty password\n');
    return ExitCode.Usage;
  }
  try {
    const hash = await hashPassword(Buffer.from(password, 'utf8'), args.iterations);
    const outcome = await setPasswordEntry(args.file, args.username, hash);
    io.stdout.write(`${outcome} user "${args.username}" in ${args.file}\n`);
    return ExitCode.Ok;
  } catch (err) {
    const message = err instanceof AuthFileError ? err.message : `${args.file}: ${(err as Error).message}`;
    io.stderr.write(`devgate passwd: ${message}\n`);
    return ExitCode.Failure;
  }
}
