/**
 * The CPU time of the Kafka brokers that run on this machine, so that a step's CPU on Kafka counts
 * the broker's share as BullMQ's counts Redis's. A broker is a JVM whose command line names
 * Kafka's main class (`kafka.Kafka`); it is looked for only when every bootstrap broker is on the
 * loopback, since a remote broker's CPU cannot be read here. Linux only (`/proc`).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Linux reports process times in clock ticks of USER_HZ, 100 a second on every mainstream build. */
const US_PER_TICK = 10_000;

const isLoopback = (broker) => /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+$/.test(broker);

/** The pids of the local brokers, or [] when a broker is remote, none runs here, or there is no /proc. */
export function localBrokerPids(brokers) {
  if (brokers.length === 0 || !brokers.every(isLoopback)) return [];
  let pids;
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  return pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('kafka.Kafka');
    } catch {
      return false; // the process ended meanwhile
    }
  });
}

/** The CPU time (user + system) in a `/proc` stat file (a process's or a thread's), in µs. Throws once it has ended. */
function statCpuUs(path) {
  const stat = readFileSync(path, 'utf8');
  // After "pid (comm) ", field 3 (state) comes first: utime and stime (fields 14 and 15) are at 11 and 12.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * US_PER_TICK;
}

/** The CPU time (user + system) the processes `pids` have used so far, in µs; a process that has ended counts 0. */
export function cpuUsOf(pids) {
  let us = 0;
  for (const pid of pids) {
    try {
      us += statCpuUs(`/proc/${pid}/stat`);
    } catch {
      // ended
    }
  }
  return us;
}

/** A broker's threads by what they do, from their names (a JVM thread's name, cut to 15 bytes by Linux). */
const BROKER_THREADS = [
  ['requests', /^data-plane-kafk/],
  ['compiler', /^C[12] CompilerThre/],
  ['gc', /^(GC Thread|G1 )/],
  ['cleaner', /^kafka-log-clean/],
];

/** The CPU time (µs) the threads of the processes `pids` have used so far, by group: BROKER_THREADS' and `other`. */
function threadCpuUsOf(pids) {
  const out = Object.fromEntries([...BROKER_THREADS.map(([group]) => [group, 0]), ['other', 0]]);
  for (const pid of pids) {
    let tids;
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // ended
    }
    for (const tid of tids) {
      try {
        const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8');
        const group = BROKER_THREADS.find(([, pattern]) => pattern.test(name))?.[0] ?? 'other';
        out[group] += statCpuUs(`/proc/${pid}/task/${tid}/stat`);
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return out;
}

/**
 * Counts the CPU of the threads of `pids` by group from now on: `used()` gives each group's µs
 * since, and `usPer(seconds, rate)` each group's µs per unit of `rate` (a loop's steps or round
 * trips a second) over `seconds`, in whole µs.
 */
export function threadMeter(pids) {
  const before = threadCpuUsOf(pids);
  const used = () => {
    const after = threadCpuUsOf(pids);
    return Object.fromEntries(Object.keys(after).map((group) => [group, after[group] - before[group]]));
  };
  return {
    used,
    usPer(seconds, rate) {
      return rate > 0 ? Object.fromEntries(Object.entries(used()).map(([group, us]) => [group, Math.round(us / seconds / rate)])) : undefined;
    },
  };
}

/**
 * Counts the machine's CPU from now on: this process's and that of the processes `pids` (a peer,
 * the local broker). `usPer(rate)` gives the CPU used since, per second, divided by `rate` (a loop's
 * round trips or steps a second): the loop's CPU, warm-up and drain included, over its seconds.
 */
export function cpuMeter(pids) {
  const own0 = process.cpuUsage();
  const others0 = cpuUsOf(pids);
  const at = performance.now();
  return {
    usPer(rate) {
      const own = process.cpuUsage(own0);
      const us = own.user + own.system + cpuUsOf(pids) - others0;
      return rate > 0 ? Math.round(us / ((performance.now() - at) / 1000) / rate) : null;
    },
  };
}
