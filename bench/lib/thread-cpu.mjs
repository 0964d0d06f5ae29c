/**
 * This process's CPU time by thread group, from /proc/self/task (Linux; elsewhere undefined):
 * the event loop (`main`), Node's worker threads (`workers`: the embedded bus's writer and WAL
 * checkpointer, the gateway's read store), V8's platform threads (`v8`: garbage collection and
 * compilation) and the rest (`other`: libuv's pool, the inspector). It says which thread a
 * step's CPU went to, which process-wide CPU time cannot.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Linux reports thread times in clock ticks of USER_HZ, 100 a second on every mainstream build. */
const US_PER_TICK = 10_000;

const GROUPS = ['main', 'workers', 'v8', 'other'];

function groupOf(comm) {
  if (comm === 'MainThread') return 'main';
  if (comm === 'WorkerThread') return 'workers';
  if (comm.startsWith('V8')) return 'v8';
  return 'other';
}

/** CPU time (user + system) in µs per thread group so far, or undefined where /proc is not there. */
export function threadCpuUs() {
  let tasks;
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return undefined;
  }
  const groups = Object.fromEntries(GROUPS.map((g) => [g, 0]));
  for (const tid of tasks) {
    let stat;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    // After "pid (comm) ", field 3 (state) comes first: utime and stime, fields 14 and 15, are at 11 and 12.
    const fields = stat.slice(close + 2).split(' ');
    groups[groupOf(comm)] += (Number(fields[11]) + Number(fields[12])) * US_PER_TICK;
  }
  return groups;
}

/** What each group used between two readings, per step at `stepsPerSec` over `seconds`; undefined without /proc. */
export function perStepByThread(before, after, seconds, stepsPerSec) {
  if (before === undefined || after === undefined || !(stepsPerSec > 0) || !(seconds > 0)) return undefined;
  return Object.fromEntries(GROUPS.map((g) => [g, Math.round((after[g] - before[g]) / seconds / stepsPerSec)]));
}
