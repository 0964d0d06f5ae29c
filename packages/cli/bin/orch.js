#!/usr/bin/env -S node --max-semi-space-size=32
// The `orch` command. This file is committed rather than built so that `npm install` links it into
// node_modules/.bin on a fresh clone: npm links a workspace's bin only if the file exists when it
// installs. It runs the compiled CLI, which `npm start` and `npm run build` produce, with the young
// generation the project's processes run with (SEMI_SPACE_MB in the transport package).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/src/bin.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('orch: the CLI is not built yet: run `npm start` or `npm run build` in the repository first\n');
  process.exit(1);
}
await import(cli.href);
