// `npm start` runs this instead of a full `tsc` and `vite build`: a type-check of the whole project
// takes tens of seconds even when nothing changed, so each build runs only when one of its sources
// is newer than its last successful build (the stamps written below). Plain JavaScript: it must run before anything is built.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const STAMP = join('dist', '.build-stamp');
const CONSOLE_STAMP = join('dist', '.console-build-stamp');
const SOURCES = ['src', 'test', 'bench'];
const CONFIG = ['tsconfig.json', 'package.json', 'package-lock.json'];

function mtimeMs(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** The newest modification time under `dir` (files and folders: a deleted file changes its folder). */
function newest(dir) {
  let latest = mtimeMs(dir);
  let entries = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return latest;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : mtimeMs(path));
  }
  return latest;
}

/** Runs `args` with node; exits with its status when it fails. */
function run(args) {
  const child = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (child.status !== 0) process.exit(child.status ?? 1);
}

/**
 * Runs `build` when a file under `sources` (or a `config` file) is newer than `stamp`, then writes
 * the stamp. The stamp carries the time the build started: a source saved during the build is
 * newer, so the next start builds again.
 */
function buildIfStale(stamp, sources, config, label, build) {
  const built = mtimeMs(stamp);
  const changed = Math.max(...sources.map(newest), ...config.map(mtimeMs));
  if (built > 0 && changed < built) return;
  console.log(`Building (${label})…`);
  const startedAt = new Date();
  build();
  mkdirSync('dist', { recursive: true });
  writeFileSync(stamp, `${startedAt.toISOString()}\n`);
  utimesSync(stamp, startedAt, startedAt);
}

buildIfStale(STAMP, SOURCES, CONFIG, 'tsc', () =>
  run([join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']),
);
// The web console (decision 0026): typechecked with its own tsconfig, bundled by Vite into
// dist/console. Its stamp sits outside dist/console, which each Vite build empties.
buildIfStale(CONSOLE_STAMP, ['console'], ['package.json', 'package-lock.json'], 'web console', () => {
  run([join('node_modules', 'typescript', 'bin', 'tsc'), '-p', join('console', 'tsconfig.json')]);
  run([
    join('node_modules', 'vite', 'bin', 'vite.js'),
    'build',
    '--config',
    join('console', 'vite.config.ts'),
    '--logLevel',
    'warn',
  ]);
});
