#!/usr/bin/env node
/**
 * Writes the report of the last full bench run again from its figures, measuring nothing: after a
 * change to the report itself, the committed run shows it without the 17 minutes of a new one.
 *
 *   node bench/render.mjs
 *
 * Reads bench/results/latest.json and writes latest.md, latest.svg and latest-curve.svg beside it.
 * The targets stay as that run judged them (they are part of its figures).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeReport } from './lib/report.mjs';

const dir = fileURLToPath(new URL('./results/', import.meta.url));
const file = `${dir}latest.json`;
if (!existsSync(file)) throw new Error(`render: ${file} does not exist; run \`npm run bench\` first`);
const result = JSON.parse(readFileSync(file, 'utf8'));
const { curves } = writeReport(result, dir);
process.stdout.write(`render: bench/results/latest.md and latest.svg${curves ? ' and latest-curve.svg' : ''} written again from latest.json (the ${result.mode} run of ${result.when})\n`);
