// `npm start` runs this instead of a full `tsc`: a type-check of the whole project takes tens of
// seconds even when nothing changed, so the build runs only when a source is newer than the last
// successful build (the stamp written below). Plain JavaScript: it must run before anything is built.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const STAMP = join('dist', '.build-stamp');
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

const built = mtimeMs(STAMP);
const changed = Math.max(...SOURCES.map(newest), ...CONFIG.map(mtimeMs));
if (built > 0 && changed < built) process.exit(0);

console.log('Building (tsc)…');
const startedAt = new Date();
const tsc = spawnSync(process.execPath, [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
  stdio: 'inherit',
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
mkdirSync('dist', { recursive: true });
// The stamp carries the time the build started: a source saved during the build is newer, so the
// next start builds again.
writeFileSync(STAMP, `${startedAt.toISOString()}\n`);
utimesSync(STAMP, startedAt, startedAt);
