/** Pure helpers of the operations pages: the schedule body a pause sends, how a dead letter reads. */
import type { DeadLetterItem, ScheduleBody, ScheduleItem } from '../api/types.ts';

/** The body that PUT takes to keep a schedule exactly as it is, with `paused` set. */
export function scheduleBody(item: ScheduleItem, paused: boolean): ScheduleBody {
  return {
    workflow: item.workflow,
    ...(item.version === undefined ? {} : { version: item.version }),
    cron: item.cron,
    timezone: item.timezone,
    input: item.input,
    overlap: item.overlap,
    catchup: item.catchup,
    paused,
  };
}

/** How a dead letter's value reads: pretty JSON where it decoded, else its text or base64. */
export function describeValue(item: Pick<DeadLetterItem, 'value' | 'valueEncoding'>): { kind: 'json' | 'utf8' | 'base64' | 'empty'; text: string } {
  if (item.value === null || item.value === undefined) return { kind: 'empty', text: 'null (a tombstone)' };
  if (item.valueEncoding === 'base64') return { kind: 'base64', text: String(item.value) };
  if (item.valueEncoding === 'utf8') return { kind: 'utf8', text: String(item.value) };
  return { kind: 'json', text: JSON.stringify(item.value, null, 2) };
}
