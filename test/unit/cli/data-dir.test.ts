import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runStart } from '../../../src/cli/start-command.js';
import { captureIo } from '../../helpers/cli-io.js';
import { localPortArgs } from '../../helpers/spawn-cli.js';

test('devgate start refuses a data dir open to others that it cannot tighten: exit 2, one clear line', async () => {
  // 0555 and no chmod allowed, not even for root.
  const dir = '/proc/1/fdinfo';
  const io = captureIo('/tmp');
  const code = await runStart(['--data-dir', dir, '--log-level', 'silent', ...localPortArgs('off')], io);
  assert.equal(code, 2);
  assert.equal(
    io.out.stderr,
    `devgate start: data directory ${dir} is accessible to group/others (mode 0555) ` +
      `and cannot be made owner-only; it holds secrets (token key, databases): run 'chmod 700 ${dir}' ` +
      'as its owner, or choose another --data-dir\n',
  );
});
