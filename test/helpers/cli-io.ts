import { Readable } from 'node:stream';
import type { CliIo } from '../../src/cli/io.js';

/** A CliIo that records what a command prints. */
export interface CapturedIo extends CliIo {
  readonly out: { stdout: string; stderr: string };
}

export function captureIo(cwd: string, env: Record<string, string | undefined> = {}): CapturedIo {
  const out = { stdout: '', stderr: '' };
  return {
    env,
    cwd,
    stdin: Readable.from([]),
    stdout: { write: (text: string) => (out.stdout += text) },
    stderr: { write: (text: string) => (out.stderr += text) },
    out,
  };
}
