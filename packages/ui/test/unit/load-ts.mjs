/**
 * Loads UI source modules in Node without a build step: each file is transpiled with the
 * TypeScript compiler (types erased, nothing bundled) into a temporary folder that mirrors src/,
 * with `.ts`/`.tsx` import specifiers rewritten to `.mjs`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const CORE_PROJECTION = pathToFileURL(resolve(SRC, '../../core/dist/src/projection-entry.js')).href;

/** Transpiles `files` (paths relative to src/) and imports the first one. Cleans up after the test. */
export async function loadTs(t, files) {
  const out = mkdtempSync(join(tmpdir(), 'ol-ui-unit-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  for (const file of files) {
    const source = readFileSync(join(SRC, file), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, jsx: ts.JsxEmit.ReactJSX, verbatimModuleSyntax: true },
    });
    const js = outputText
      .replace(/(from\s+['"])(\.{1,2}\/[^'"]+)\.tsx?(['"])/g, '$1$2.mjs$3')
      // Core's browser-safe entry, from its build (npm run build:ts), as the bundler resolves it.
      .replace(/(from\s+['"])@orchestrator-lite\/core\/projection(['"])/g, `$1${CORE_PROJECTION}$2`);
    const target = join(out, file.replace(/\.tsx?$/, '.mjs'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, js);
  }
  const first = files[0];
  return import(pathToFileURL(join(out, first.replace(/\.tsx?$/, '.mjs'))).href + `?${relative(tmpdir(), out)}`);
}
