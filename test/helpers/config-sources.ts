import assert from 'node:assert/strict';
import { ConfigError, type ConfigSources } from '../../src/config/load.js';

/** The working directory relative paths resolve against in config tests. */
export const CONFIG_CWD = '/srv/devgate';

/** Config sources whose files live in `files` (a missing one throws ENOENT). */
export function fakeConfigSources(
  argv: string[] = [],
  env: Record<string, string> = {},
  files: Record<string, string> = {},
): ConfigSources {
  return {
    argv,
    env,
    cwd: CONFIG_CWD,
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    },
  };
}

/** Asserts that `load` throws a ConfigError whose message matches `message`. */
export function assertConfigError(load: () => unknown, message: RegExp): void {
  assert.throws(load, (err: unknown) => err instanceof ConfigError && message.test(err.message));
}
