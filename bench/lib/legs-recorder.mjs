/**
 * Loaded with `--import` into the engine's processes by bench/legs.mjs (and so into each of their
 * worker threads): writes what the Kafka transport publishes on its record-legs channel, one JSON
 * line a message, to a file per thread in BENCH_LEGS_DIR.
 */
import { subscribe } from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { RECORD_LEGS_CHANNEL } from '@orchestrator-lite/transport';

const dir = process.env.BENCH_LEGS_DIR;
if (dir) {
  const file = join(dir, `${process.pid}-${threadId}.jsonl`);
  let lines = [];
  const flush = () => {
    if (lines.length === 0) return;
    appendFileSync(file, `${lines.join('\n')}\n`);
    lines = [];
  };
  subscribe(RECORD_LEGS_CHANNEL, (message) => lines.push(JSON.stringify(message)));
  setInterval(flush, 500).unref();
  process.on('exit', flush);
}
