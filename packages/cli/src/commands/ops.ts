/** Client commands for operations: schedules, signals, reruns and the dead-letter queue. */
import type { DlqPageResponse, RedriveBody, RedriveResponse, RerunBody, RerunResponse, ScheduleBody, ScheduleItem, ScheduleListResponse, ScheduleTriggerResponse, SignalAccepted, SignalBody } from '@orchestrator-lite/core';
import { api, follow } from './client.js';
import type { GatewayTarget } from './client.js';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export function parseJsonFlag(flag: string, text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`--${flag}: not valid JSON: ${(error as Error).message}`);
  }
}

const iso = (ms: number | null | undefined): string => (ms === null || ms === undefined ? '-' : new Date(ms).toISOString());
const path = (name: string): string => `/api/v1/schedules/${encodeURIComponent(name)}`;

function printSchedule(s: ScheduleItem): void {
  out(`schedule ${s.name}  ${s.workflow}${s.version === undefined ? '' : `@${s.version}`}  "${s.cron}" ${s.timezone}  overlap ${s.overlap}  catchup ${s.catchup}${s.paused ? '  PAUSED' : ''}`);
  out(`  next fire ${iso(s.nextFireAt)}  last fire ${iso(s.lastFireAt)}`);
  for (const r of s.lastRuns) out(`  ${iso(r.fireAt)}  ${r.runId ?? '-'}  ${r.skipped ?? r.status ?? ''}${r.manual ? '  (manual)' : ''}`);
}

export interface ScheduleFlags {
  workflow?: string;
  cron?: string;
  timezone?: string;
  input?: string;
  overlap?: string;
  catchup?: string;
  version?: string;
}

/** `orch schedules [ls] | show <name> | set <name> --workflow W --cron C … | pause | resume | trigger | rm <name>` */
export async function schedulesCommand(gateway: GatewayTarget, sub: string, name: string | undefined, flags: ScheduleFlags): Promise<number> {
  if (sub === 'ls') {
    const { items } = await api<ScheduleListResponse>(gateway, 'GET', '/api/v1/schedules');
    out(`${'SCHEDULE'.padEnd(24)}${'WORKFLOW'.padEnd(20)}${'CRON'.padEnd(20)}NEXT FIRE`);
    for (const s of items) out(`${s.name.padEnd(24)}${s.workflow.padEnd(20)}${s.cron.padEnd(20)}${s.paused ? 'paused' : iso(s.nextFireAt)}`);
    if (items.length === 0) out('(no schedules)');
    return 0;
  }
  if (name === undefined) throw new Error(`orch schedules ${sub}: name the schedule`);
  switch (sub) {
    case 'show':
      printSchedule(await api<ScheduleItem>(gateway, 'GET', path(name)));
      return 0;
    case 'set': {
      if (flags.workflow === undefined || flags.cron === undefined) throw new Error('orch schedules set: --workflow and --cron are required');
      const input = parseJsonFlag('input', flags.input);
      const body: ScheduleBody = {
        workflow: flags.workflow,
        cron: flags.cron,
        ...(flags.timezone === undefined ? {} : { timezone: flags.timezone }),
        ...(input === undefined ? {} : { input }),
        // The gateway checks the policies and answers 400 naming the field.
        ...(flags.overlap === undefined ? {} : { overlap: flags.overlap as ScheduleBody['overlap'] }),
        ...(flags.catchup === undefined ? {} : { catchup: flags.catchup as ScheduleBody['catchup'] }),
        ...(flags.version === undefined ? {} : { version: Number(flags.version) }),
      };
      printSchedule(await api<ScheduleItem, ScheduleBody>(gateway, 'PUT', path(name), body));
      return 0;
    }
    case 'pause':
    case 'resume': {
      const s = await api<ScheduleItem>(gateway, 'GET', path(name));
      const body: ScheduleBody = {
        workflow: s.workflow,
        cron: s.cron,
        timezone: s.timezone,
        input: s.input,
        overlap: s.overlap,
        catchup: s.catchup,
        paused: sub === 'pause',
        ...(s.version === undefined ? {} : { version: s.version }),
      };
      printSchedule(await api<ScheduleItem, ScheduleBody>(gateway, 'PUT', path(name), body));
      return 0;
    }
    case 'trigger': {
      const { runId } = await api<ScheduleTriggerResponse>(gateway, 'POST', `${path(name)}/trigger`);
      out(`schedule ${name} fired: run ${runId}`);
      return 0;
    }
    case 'rm':
      await api<undefined>(gateway, 'DELETE', path(name));
      out(`schedule ${name} deleted`);
      return 0;
    default:
      throw new Error(`orch schedules: unknown subcommand "${sub}" (ls, show, set, pause, resume, trigger, rm)`);
  }
}

/** `orch signal <runId> <name> [--payload '{…}']` */
export async function signalCommand(gateway: GatewayTarget, runId: string, name: string, payloadText: string | undefined): Promise<number> {
  const payload = parseJsonFlag('payload', payloadText);
  await api<SignalAccepted, SignalBody>(gateway, 'POST', `/api/v1/runs/${encodeURIComponent(runId)}/signals/${encodeURIComponent(name)}`, payload === undefined ? {} : { payload });
  out(`signal ${name} sent to run ${runId}`);
  return 0;
}

/** `orch rerun <runId> --from <step> [--input '{…}'] [--wait]`: with --wait, exits 0 when the new run succeeds. */
export async function rerunCommand(gateway: GatewayTarget, runId: string, options: { from?: string; input?: string; wait: boolean; timeoutMs: number }): Promise<number> {
  if (options.from === undefined) throw new Error('orch rerun: --from <step> is required');
  const input = parseJsonFlag('input', options.input);
  const { runId: next, reused } = await api<RerunResponse, RerunBody>(gateway, 'POST', `/api/v1/runs/${encodeURIComponent(runId)}/rerun`, {
    fromStep: options.from,
    ...(input === undefined ? {} : { input }),
  });
  out(`run ${next} accepted: a rerun of ${runId} from ${options.from} (reusing ${reused.length === 0 ? 'nothing' : reused.join(', ')})`);
  if (!options.wait) return 0;
  const status = await follow(gateway, next, out, options.timeoutMs);
  out(`run ${next} ${status}`);
  return status === 'SUCCEEDED' ? 0 : 1;
}

/** `orch dlq [ls] [--limit N]` | `orch dlq redrive [--ids a,b] [--reason R] [--topic T] [--rate N]` */
export async function dlqCommand(gateway: GatewayTarget, sub: string, flags: { limit?: string; ids?: string; reason?: string; topic?: string; rate?: string }): Promise<number> {
  if (sub === 'ls') {
    const query = flags.limit === undefined ? '' : `?limit=${encodeURIComponent(flags.limit)}`;
    const page = await api<DlqPageResponse>(gateway, 'GET', `/api/v1/dlq${query}`);
    for (const d of page.items) {
      out(`${d.id.padEnd(10)}${iso(d.at)}  ${d.topic ?? '?'}/${d.partition ?? '?'}/${d.offset ?? '?'}  key ${d.key}`);
      out(`  reason: ${d.reason}`);
      out(`  value:  ${JSON.stringify(d.value).slice(0, 200)}`);
    }
    if (page.items.length === 0) out('(no dead letters)');
    else if (page.nextCursor !== null) out('(more: raise --limit)');
    return 0;
  }
  if (sub === 'redrive') {
    const body: RedriveBody = {
      ...(flags.ids === undefined ? {} : { ids: flags.ids.split(',').map((s) => s.trim()).filter(Boolean) }),
      ...(flags.reason === undefined ? {} : { reason: flags.reason }),
      ...(flags.topic === undefined ? {} : { topic: flags.topic }),
      ...(flags.rate === undefined ? {} : { ratePerSec: Number(flags.rate) }),
    };
    const { redriven } = await api<RedriveResponse, RedriveBody>(gateway, 'POST', '/api/v1/dlq/redrive', body);
    out(`${redriven} dead letter${redriven === 1 ? '' : 's'} redriven`);
    return 0;
  }
  throw new Error(`orch dlq: unknown subcommand "${sub}" (ls, redrive)`);
}
