/**
 * Another revision of this repository beside the checkout, to measure against: checked out into
 * a temporary git worktree, installed and built there, and removed afterwards (also after a
 * failure or an interrupt).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The root of this checkout. */
export const checkoutRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The built entry of package `pkg` (`core`, `gateway`, ...) of the checkout or worktree at `root`. */
export const importBuilt = (root, pkg) => import(pathToFileURL(join(root, 'packages', pkg, 'dist/src/index.js')).href);

const git = (...args) => execFileSync('git', args, { cwd: checkoutRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** The commit `rev` (a tool's --base) names; throws, naming `tool`, when it names none. */
export function resolveCommit(rev, tool) {
  try {
    return git('rev-parse', '--verify', '--quiet', `${rev}^{commit}`);
  } catch {
    throw new Error(`${tool}: --base=${rev} names no commit of this repository`);
  }
}

/**
 * Runs `use(root)` with `commit` (resolveCommit's answer for revision `rev`) built at `root`, then
 * removes the worktree. `say` gets a line of progress for each slow stage.
 */
export async function withWorktree(rev, commit, say, use) {
  const root = mkdtempSync(join(tmpdir(), 'orch-base-'));
  const remove = () => {
    try {
      git('worktree', 'remove', '--force', root);
    } catch {
      rmSync(root, { recursive: true, force: true });
      git('worktree', 'prune');
    }
  };
  const interrupted = () => {
    remove();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  try {
    say(`checking out ${rev} (${commit.slice(0, 10)}) into ${root}`);
    git('worktree', 'add', '--force', '--detach', root, commit);
    say('installing and building it (a minute or two)');
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync('npx', ['tsc', '-b'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    return await use(root);
  } finally {
    process.off('SIGINT', interrupted);
    remove();
  }
}
