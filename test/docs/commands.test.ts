import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type DocBlock, fileBlocks, markdownFiles, outputPattern } from '../helpers/doc-blocks.js';
import { tempDataDir } from '../helpers/platform-server.js';
import { CLI_MAIN, cliStarted, readDataFile, spawnCli } from '../helpers/spawn-cli.js';

/**
 * Every ```sh/```bash block of README.md and docs/ runs, in order, against a fresh `devgate start
 * --demo` per Markdown file, from a working directory whose `data/` is that server's data
 * directory, as a reader would run them next to `npm start`. The only rewriting is this explicit
 * mapping: the documented ports become the bound ones and `npx devgate` the built CLI. Shell
 * variables carry from one block to the next within a file. A block marked
 * `<!-- docs-test: skip (reason) -->` is counted and reported, never run.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BLOCK_MS = 20_000;

interface Listeners {
  mqtt: number;
  mqtts: number;
  http: number;
  https: number[];
}

function substitute(script: string, ports: Listeners): string {
  return script
    .replace(/\b1883\b/g, String(ports.mqtt))
    .replace(/\b8883\b/g, String(ports.mqtts))
    .replace(/\b8080\b/g, String(ports.http))
    .replace(/\b9443\b/g, String(ports.https[0]))
    .replace(/\bnpx devgate\b/g, `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI_MAIN)}`);
}

interface Ran {
  code: number | null;
  output: string;
}

/** Runs one block with bash in `cwd`; variables come from and go back to `state`. */
function runBlock(script: string, cwd: string, state: string): Promise<Ran> {
  // The EXIT trap keeps the block's own exit status (the last command's, or the first failure's).
  const saved = JSON.stringify(state);
  const wrapped = `set -eo pipefail\nset -a\n. ${saved}\ntrap 'export -p > ${saved}' EXIT\n${script}\n`;
  const child = spawn('bash', ['-c', wrapped], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), BLOCK_MS);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: code === null ? `${output}\n(killed after ${BLOCK_MS} ms)` : output });
    }),
  );
}

async function startServer(t: TestContext, dataDir: string): Promise<Listeners> {
  const args = ['start', '--demo', '--data-dir', dataDir, '--host', '127.0.0.1', '--log-level', 'warn'];
  for (const port of ['--mqtt-port', '--mqtts-port', '--http-port', '--https-port']) args.push(port, '0');
  const cli = spawnCli(t, args, { timeoutMs: 30_000 });
  await cliStarted(cli, 'devgate start --demo');
  return readDataFile<Listeners>(dataDir, 'listeners.json');
}

async function runFile(t: TestContext, blocks: readonly DocBlock[]): Promise<void> {
  const work = await tempDataDir(t, 'devgate-docs-');
  const ports = await startServer(t, join(work, 'data'));
  const state = join(work, '.docs-test-env');
  await writeFile(state, '');
  await mkdir(join(work, 'tmp'));
  for (const block of blocks) {
    const ran = await runBlock(substitute(block.script, ports), work, state);
    assert.equal(
      ran.code,
      0,
      `${block.where} exited ${ran.code}:\n${block.script}\n--- output:\n${ran.output}`,
    );
    for (const line of block.expected.map((text) => outputPattern(substitute(text, ports))))
      assert.match(ran.output, line, `${block.where} should print ${line}; it printed:\n${ran.output}`);
  }
}

// DOCS_TEST_FILE=docs/cli.md runs the blocks of one file only (while editing it).
const only = process.env.DOCS_TEST_FILE;
const files = (await markdownFiles(ROOT)).filter((file) => only === undefined || file === only);
/** What the documented commands call besides devgate (.ci/run installs them). */
const TOOLS = ['mosquitto_pub', 'mosquitto_sub', 'mosquitto_rr', 'curl', 'jq', 'bash'];
const missing = TOOLS.filter(
  (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0,
);
const perFile = await Promise.all(
  files.map(async (file) => ({ file, blocks: await fileBlocks(ROOT, file) })),
);

describe('docs: every copy-paste shell block runs', () => {
  const skipped = perFile.flatMap(({ blocks }) => blocks.filter((b) => b.skip !== undefined));
  for (const { file, blocks } of perFile) {
    const runnable = blocks.filter((b) => b.skip === undefined);
    if (runnable.length === 0) continue;
    test(`${file}: ${runnable.length} block(s) exit 0 and print what the text shows`, (t) => {
      if (missing.length > 0) {
        t.skip(`not installed: ${missing.join(', ')} (apt-get install mosquitto-clients curl jq)`);
        return;
      }
      return runFile(t, runnable);
    });
  }
  test(`skipped blocks are marked with a reason (${skipped.length})`, (t) => {
    for (const block of skipped) t.diagnostic(`skip ${block.where}: ${block.skip}`);
    for (const block of skipped) assert.ok(block.skip!.trim().length > 3, `${block.where}: give a reason`);
  });
});
