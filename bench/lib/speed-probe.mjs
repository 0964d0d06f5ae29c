/**
 * How fast the machine runs just now: the time a fixed piece of single-threaded JavaScript takes
 * (encoding and decoding a run-sized JSON document), the best of a few tries. On a shared virtual
 * machine this moves by half or more within minutes; the bench takes it before each phase, so that
 * a report says how far its phases, measured minutes apart, saw the same machine.
 */
import { performance } from 'node:perf_hooks';

const DOCUMENT = {
  runId: '01JBENCHSPEEDPROBE000000000',
  steps: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`s${i}`, { status: 'SUCCEEDED', attempts: [{ attempt: 1, startedAt: 1_700_000_000_000 + i, output: { ok: true, n: i } }] }])),
};
const ROUNDS = 2_000;
const TRIES = 5;

/** Milliseconds the fixed work took at best (lower is faster). */
export function speedProbe() {
  let best = Infinity;
  let sink = 0;
  for (let t = 0; t < TRIES; t++) {
    const started = performance.now();
    for (let i = 0; i < ROUNDS; i++) sink += JSON.parse(JSON.stringify(DOCUMENT)).steps.s1.attempts.length;
    best = Math.min(best, performance.now() - started);
  }
  if (sink !== ROUNDS * TRIES) throw new Error('speedProbe: the document did not round-trip');
  return Math.round(best * 100) / 100;
}
