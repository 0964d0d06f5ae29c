/**
 * The runs that ended over the last few minutes, per 10-second bucket: how many, how many did not
 * succeed, and a sample of their durations (for the p50 and p95). Folded from the feed's ending
 * events as they come, so the live chart counts every run that ended, not only the runs the list
 * keeps; a bucket's sample is bounded, so a busy engine costs the page the same memory as an idle one.
 */
import type { RunSummary, RunView, StreamFrame } from '../api/types.ts';
import { toSummary } from './run-reducer.ts';

export const BUCKET_MS = 10_000;
export const BUCKETS = 30;
/** Durations kept per bucket: the first ones, then a uniform sample of all (reservoir sampling). */
const SAMPLE = 512;

export interface RunEnd {
  endedAt: number;
  /** Absent when the run's start is not known here. */
  durationMs?: number;
  failed: boolean;
}

export interface EndBucket {
  /** Epoch ms of the bucket's start, a multiple of BUCKET_MS. */
  start: number;
  count: number;
  failed: number;
  /** Durations seen: every one up to SAMPLE, then a uniform sample of them. */
  durations: readonly number[];
  /** Durations offered to the sample. */
  timed: number;
}

/** Buckets by start, oldest first, none older than the window ending at `now`. */
export type RunEnds = readonly EndBucket[];

function sampled(bucket: EndBucket, duration: number, random: () => number): Pick<EndBucket, 'durations' | 'timed'> {
  const timed = bucket.timed + 1;
  if (bucket.durations.length < SAMPLE) return { durations: [...bucket.durations, duration], timed };
  const slot = Math.floor(random() * timed);
  if (slot >= SAMPLE) return { durations: bucket.durations, timed };
  const durations = [...bucket.durations];
  durations[slot] = duration;
  return { durations, timed };
}

/** The start of the window's oldest bucket: the window is BUCKETS buckets, the last holding `now`. */
export function windowStart(now: number): number {
  return (Math.floor(now / BUCKET_MS) - BUCKETS + 1) * BUCKET_MS;
}

/** `buckets` with `ends` counted in and the buckets that left the window dropped; the same object when nothing changed. */
export function recordEnds(buckets: RunEnds, ends: readonly RunEnd[], now: number, random: () => number = Math.random): RunEnds {
  const oldest = windowStart(now);
  const byStart = new Map(buckets.filter((b) => b.start >= oldest).map((b) => [b.start, b]));
  for (const end of ends) {
    const start = Math.floor(end.endedAt / BUCKET_MS) * BUCKET_MS;
    if (start < oldest) continue;
    const bucket = byStart.get(start) ?? { start, count: 0, failed: 0, durations: [], timed: 0 };
    byStart.set(start, {
      ...bucket,
      count: bucket.count + 1,
      failed: bucket.failed + (end.failed ? 1 : 0),
      ...(end.durationMs === undefined ? {} : sampled(bucket, end.durationMs, random)),
    });
  }
  if (ends.length === 0 && byStart.size === buckets.length) return buckets;
  return [...byStart.values()].sort((a, b) => a.start - b.start);
}

const ENDING: ReadonlySet<string> = new Set(['RunSucceeded', 'RunFailed', 'RunCancelled']);

/** The ends among the frames, each with its run's duration when `runs` knows its start. */
export function endsOf(frames: readonly StreamFrame[], runs: Readonly<Record<string, RunSummary>>): RunEnd[] {
  const ends: RunEnd[] = [];
  for (const f of frames) {
    if (!ENDING.has(f.type)) continue;
    const createdAt = runs[f.runId]?.createdAt;
    ends.push({ endedAt: f.at, failed: f.type !== 'RunSucceeded', ...(createdAt === undefined ? {} : { durationMs: Math.max(0, f.at - createdAt) }) });
  }
  return ends;
}

/** The ends of a snapshot's runs that have ended. */
export function snapshotEnds(items: readonly (RunSummary | RunView)[]): RunEnd[] {
  const ends: RunEnd[] = [];
  for (const item of items) {
    const row = toSummary(item);
    if (row.endedAt !== undefined) ends.push({ endedAt: row.endedAt, failed: row.status !== 'SUCCEEDED', durationMs: Math.max(0, row.endedAt - row.createdAt) });
  }
  return ends;
}
