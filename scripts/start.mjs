#!/usr/bin/env node
// `npm start`: brings the build up to date, then runs every role in one process (`orch start`).
// TypeScript builds incrementally (tsc -b does nothing when nothing changed); the UI is rebuilt
// only when one of its inputs is newer than its last build. Nothing is printed when nothing is
// built, so a restart is ready in about a second.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const UI = join(root, 'packages', 'ui');
/** Written after a UI build; vite empties dist/ first, so a failed build leaves none. */
export const UI_STAMP = join(UI, 'dist', '.build-stamp');
const UI_INPUTS = ['src', 'index.html', 'public', 'examples', 'vite.config.ts', 'vite.element.config.ts', 'package.json', 'tsconfig.json'];

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = stat.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name === 'dist') continue;
    max = Math.max(max, newest(join(path, name)));
  }
  return max;
}

/** Whether the UI must be built: no stamp, or an input changed since. */
export function uiIsStale(uiDir = UI) {
  const stamp = join(uiDir, 'dist', '.build-stamp');
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  return UI_INPUTS.some((input) => newest(join(uiDir, input)) > built);
}

function run(what, command, args) {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}\nnpm start: ${what} failed\n`);
    process.exit(result.status ?? 1);
  }
}

function buildIfNeeded() {
  run('the TypeScript build (tsc -b)', process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b']);
  if (uiIsStale()) {
    process.stdout.write('npm start: building the UI (packages/ui changed since its last build)…\n');
    run('the UI build', process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build', '--silent', '--workspace', 'packages/ui']);
    writeFileSync(UI_STAMP, `${new Date().toISOString()}\n`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  buildIfNeeded();
  const cli = join(root, 'packages', 'cli', 'dist', 'src', 'bin.js');
  process.argv = [process.argv[0], cli, 'start', ...process.argv.slice(2)];
  await import(pathToFileURL(cli).href);
}
