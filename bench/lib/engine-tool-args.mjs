/**
 * The arguments of the tools that run the engine once on one workload and look inside the run
 * (`timeline.mjs`, `legs.mjs`): `--bus`, `--split`, `--workload`, `--load`, `--window` (runs in
 * flight in the closed loop, the bench's for the workload unless given), `--seconds`, `--warmup`,
 * each checked, with the tool's name in every error and its usage line after an unknown argument.
 */
import { MEASURED_WINDOWS, MEASURED_WORKLOADS } from './workloads.mjs';

/** `buses`: the buses the tool runs on (the first is the default); `workload`: the default workload. */
export function engineToolArgs(tool, argv, { buses, workload: defaultWorkload }) {
  const busArg = buses.length > 1 ? `[--bus=${buses.join('|')}] ` : '';
  const usage = `usage: node bench/${tool}.mjs ${busArg}[--split] [--workload=${MEASURED_WORKLOADS.join('|')}] [--load=saturation|fixed] [--window=N] [--seconds=S] [--warmup=S]`;
  const args = new Map();
  let split = false;
  for (const arg of argv) {
    if (arg === '--split') {
      split = true;
      continue;
    }
    const m = /^--(bus|workload|load|window|seconds|warmup)=(.+)$/.exec(arg);
    if (!m || (m[1] === 'bus' && buses.length === 1)) throw new Error(`${tool}: unknown argument ${JSON.stringify(arg)}\n${usage}`);
    args.set(m[1], m[2]);
  }
  const bus = args.get('bus') ?? buses[0];
  const workload = args.get('workload') ?? defaultWorkload;
  const load = args.get('load') ?? 'saturation';
  const seconds = Number(args.get('seconds') ?? 6);
  const warmup = Number(args.get('warmup') ?? 3);
  const window = Number(args.get('window') ?? MEASURED_WINDOWS[workload]);
  if (!buses.includes(bus)) throw new Error(`${tool}: --bus must be ${buses.join(' or ')}, got ${bus}`);
  if (split && bus !== 'kafka') throw new Error(`${tool}: --split needs --bus=kafka (each role in its own process)`);
  if (!['saturation', 'fixed'].includes(load)) throw new Error(`${tool}: --load must be saturation or fixed, got ${load}`);
  if (!MEASURED_WORKLOADS.includes(workload)) throw new Error(`${tool}: --workload must be one of ${MEASURED_WORKLOADS.join(', ')}, got ${workload}`);
  if (!(Number.isInteger(window) && window >= 1 && window <= 1024)) throw new Error(`${tool}: --window must be an integer from 1 to 1024, got ${args.get('window')}`);
  if (!(seconds >= 1 && seconds <= 60)) throw new Error(`${tool}: --seconds must be from 1 to 60, got ${args.get('seconds')}`);
  if (!(warmup >= 0 && warmup <= 60)) throw new Error(`${tool}: --warmup must be from 0 to 60, got ${args.get('warmup')}`);
  return { bus, split, workload, load, window, seconds, warmup };
}
