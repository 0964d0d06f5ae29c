/**
 * `orch run <workflow> --inputs FILE`: a run per line of a JSON Lines file (each line a run's
 * input), started through POST /api/v1/runs/batch, a batch at a time, with a progress line per
 * batch. Every line is read and parsed before any run starts, so a bad line starts nothing. With
 * `--idempotency-key K`, line N's run gets the key `K:N`: the same command run again after an
 * interruption starts only the runs that had not started.
 */
import { readFile } from 'node:fs/promises';
import type { StartRunBody, StartRunsResponse } from '@orchestrator-lite/core';
import { MAX_BATCH_RUNS } from '@orchestrator-lite/core';
import { api } from './client.js';
import type { GatewayTarget } from './client.js';

/** A batch's inputs, at most (a line over it goes alone): far under the route's body limit, twice the payload limit. */
const BATCH_BYTES = 512 * 1024;

export interface StartManyOptions {
  /** A path, or `-` for standard input. */
  inputs: string;
  version?: string;
  idempotencyKey?: string;
}

interface Line {
  line: number;
  body: StartRunBody;
  bytes: number;
}

async function readText(path: string): Promise<string> {
  if (path !== '-') return readFile(path, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Each non-blank line as a start of `workflow`, or an error naming the bad lines (at most 5). */
export function parseInputs(text: string, workflow: string, options: Omit<StartManyOptions, 'inputs'>): Line[] {
  const version = options.version === undefined ? undefined : Number(options.version);
  if (version !== undefined && !(Number.isInteger(version) && version >= 1)) throw new Error(`--version: must be a positive integer, got ${JSON.stringify(options.version)}`);
  const lines: Line[] = [];
  const bad: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const source = raw.trim();
    if (source === '') return;
    let input: unknown;
    try {
      input = JSON.parse(source);
    } catch (error) {
      bad.push(`line ${index + 1}: not valid JSON: ${(error as Error).message}`);
      return;
    }
    const body: StartRunBody = {
      workflow,
      input,
      ...(version === undefined ? {} : { version }),
      ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: `${options.idempotencyKey}:${index + 1}` }),
    };
    lines.push({ line: index + 1, body, bytes: Buffer.byteLength(source) });
  });
  if (bad.length > 0) throw new Error(`--inputs: ${bad.length} bad line${bad.length > 1 ? 's' : ''}, no run started\n${bad.slice(0, 5).join('\n')}${bad.length > 5 ? '\n…' : ''}`);
  if (lines.length === 0) throw new Error('--inputs: the file has no lines; each line is the JSON input of one run');
  return lines;
}

/** The lines in batches of at most MAX_BATCH_RUNS runs and about BATCH_BYTES of input. */
function* batches(lines: readonly Line[]): Generator<Line[]> {
  let batch: Line[] = [];
  let bytes = 0;
  for (const line of lines) {
    if (batch.length > 0 && (batch.length === MAX_BATCH_RUNS || bytes + line.bytes > BATCH_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(line);
    bytes += line.bytes;
  }
  if (batch.length > 0) yield batch;
}

/** Starts the runs; 0 when every line started or named a run, 1 when some could not. */
export async function startMany(gateway: GatewayTarget, workflow: string, options: StartManyOptions, out: (line: string) => void): Promise<number> {
  const lines = parseInputs(await readText(options.inputs), workflow, options);
  let created = 0;
  let existing = 0;
  const failures: string[] = [];
  for (const batch of batches(lines)) {
    const { items } = await api<StartRunsResponse, { runs: StartRunBody[] }>(gateway, 'POST', '/api/v1/runs/batch', { runs: batch.map((l) => l.body) });
    items.forEach((item, i) => {
      if ('error' in item) failures.push(`line ${batch[i]!.line}: ${item.error.code}: ${item.error.message}`);
      else if (item.created) created++;
      else existing++;
    });
    const done = created + existing + failures.length;
    out(`${done} of ${lines.length} lines: ${created} runs started, ${existing} already started, ${failures.length} failed`);
  }
  for (const failure of failures.slice(0, 20)) out(failure);
  if (failures.length > 20) out(`… and ${failures.length - 20} more`);
  return failures.length === 0 ? 0 : 1;
}
