/**
 * `@orchestrator-lite/core/projection` is what the UI bundles: its import graph must stay free of
 * zod, yaml and node built-ins, or the browser bundle would carry them (or fail).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

/** Every module the entry reaches through value imports (type-only imports are erased). */
function graph(file: string, seen = new Set<string>()): { files: Set<string>; packages: Set<string> } {
  const packages = new Set<string>();
  seen.add(file);
  const js = readFileSync(file, 'utf8');
  for (const match of js.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
    const spec = match[1] ?? '';
    if (!spec.startsWith('.')) {
      packages.add(spec);
      continue;
    }
    const next = resolve(dirname(file), spec);
    if (!seen.has(next)) for (const p of graph(next, seen).packages) packages.add(p);
  }
  return { files: seen, packages };
}

void test('the projection entry imports no package (no zod, no yaml, no node built-ins)', () => {
  const { files, packages } = graph(resolve(SRC, 'projection-entry.js'));
  assert.deepEqual([...packages], []);
  assert.ok(files.size >= 3, 'the projector and its helpers are reached');
});

void test('the projection entry folds a run', async () => {
  const { projectRun } = await import('../src/projection-entry.js');
  const view = projectRun([
    { runId: 'r', seq: 1, type: 'RunStarted', at: 1, data: { workflow: 'w', version: 1, input: {}, definition: { name: 'w', steps: [{ id: 'a', task: 't' }] } } },
    { runId: 'r', seq: 2, type: 'RunSucceeded', at: 2, data: { output: 1 } },
  ]);
  assert.equal(view?.status, 'SUCCEEDED');
});
