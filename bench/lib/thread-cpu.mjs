/**
 * This process's CPU time by thread group, from /proc/self/task (Linux; elsewhere undefined):
 * the event loop (`main`), Node's worker threads (`workers`: the embedded bus's WAL checkpointer
 * and compaction, the gateway's read store, the gateway or the orchestrator under `orch start`),
 * V8's platform threads (`v8`: garbage collection and compilation) and the rest (`other`: libuv's
 * pool, the inspector). It says which thread a step's CPU went to, which process-wide CPU time
 * cannot.
 *
 * With it, two counts per thread group that say what the CPU went to on a virtual machine, where
 * entering the kernel costs far more than on bare metal: the read and write system calls
 * (`/proc/self/task/<tid>/io`: read, pread, write, pwrite and their vector forms, which a
 * message to a worker thread makes too), and the minor page faults (memory the kernel maps in,
 * for the garbage collector's fresh pages, say).
 *
 * And the time each group was ready to run but waited for a CPU (`/proc/self/task/<tid>/schedstat`,
 * its second field): on a small machine the event loop shares the cores with the process's other
 * threads and with the server beside it, and CPU it waits for is throughput it does not make.
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

/**
 * Counters per thread group so far: CPU time (user + system) in µs, read and write system calls,
 * minor page faults, and µs spent ready to run on a run queue (`waits`, absent where the kernel
 * keeps no schedstat); undefined where /proc is not there.
 */
export function threadCounters() {
  let tasks;
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return undefined;
  }
  const zero = () => Object.fromEntries(GROUPS.map((g) => [g, 0]));
  const counters = { cpu: zero(), syscalls: zero(), faults: zero(), waits: zero() };
  let schedstat = true;
  for (const tid of tasks) {
    let stat;
    let io;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      io = readFileSync(`/proc/self/task/${tid}/io`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const close = stat.lastIndexOf(')');
    const group = groupOf(stat.slice(stat.indexOf('(') + 1, close));
    // After "pid (comm) ", field 3 (state) comes first: minflt (field 10) is at 7, utime and stime (14 and 15) at 11 and 12.
    const fields = stat.slice(close + 2).split(' ');
    counters.cpu[group] += (Number(fields[11]) + Number(fields[12])) * US_PER_TICK;
    counters.faults[group] += Number(fields[7]);
    counters.syscalls[group] += Number(/^syscr: (\d+)/m.exec(io)?.[1] ?? 0) + Number(/^syscw: (\d+)/m.exec(io)?.[1] ?? 0);
    const waited = runQueueWaitUs(tid);
    if (waited === undefined) schedstat = false;
    else counters.waits[group] += waited;
  }
  if (!schedstat) delete counters.waits;
  return counters;
}

/** The µs thread `tid` has waited on a run queue so far, from schedstat (run ns, wait ns, slices); undefined without it. */
function runQueueWaitUs(tid) {
  try {
    const ns = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
    return Number.isFinite(ns) ? ns / 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What each group used between two readings, per step at `stepsPerSec` over `seconds`: CPU µs
 * per group, `calls` with the system calls and page faults per step, and `waited` (where the
 * kernel keeps schedstat), the µs per step each group spent ready to run without a CPU;
 * undefined without /proc.
 */
export function perStepByThread(before, after, seconds, stepsPerSec) {
  if (before === undefined || after === undefined || !(stepsPerSec > 0) || !(seconds > 0)) return undefined;
  const steps = seconds * stepsPerSec;
  const per = (counter, digits) => Object.fromEntries(GROUPS.map((g) => [g, Number(((after[counter][g] - before[counter][g]) / steps).toFixed(digits))]));
  const waited = before.waits !== undefined && after.waits !== undefined ? { waited: per('waits', 0) } : {};
  return { ...per('cpu', 0), calls: { syscalls: per('syscalls', 2), faults: per('faults', 2) }, ...waited };
}
