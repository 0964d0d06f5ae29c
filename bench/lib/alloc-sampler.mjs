/**
 * Loaded with `--import` into a bench phase's process by `node bench/profile.mjs --alloc`: samples
 * what the event loop allocates, the objects the garbage collector has taken since included, from
 * the process's start to its exit, and writes V8's sampling heap profile to BENCH_ALLOC_PROFILE.
 * A same-thread inspector session answers at once, so the profile is taken in the exit handler.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { isMainThread } from 'node:worker_threads';

const out = process.env.BENCH_ALLOC_PROFILE;
if (isMainThread && out) {
  const session = new Session();
  session.connect();
  session.post('HeapProfiler.enable');
  session.post('HeapProfiler.startSampling', { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  process.on('exit', () => {
    session.post('HeapProfiler.stopSampling', (error, result) => {
      if (error) process.stderr.write(`alloc-sampler: ${error.message}\n`);
      else writeFileSync(out, JSON.stringify(result.profile));
    });
  });
}
