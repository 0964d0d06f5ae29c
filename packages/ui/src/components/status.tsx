/** Colours and badges for run, step and attempt statuses: one palette everywhere. */
import type { AttemptStatus, RunStatus, StepStatus } from '../api/types.ts';

export type AnyStatus = RunStatus | StepStatus | AttemptStatus;

export const STATUS_COLOR: Record<AnyStatus, string> = {
  PENDING: '#8b98b1',
  SCHEDULED: '#38bdf8',
  RUNNING: '#6d8cff',
  RETRY_WAIT: '#f5a524',
  SUCCEEDED: '#2fcf83',
  FAILED: '#f25f5c',
  TIMED_OUT: '#f25f5c',
  SKIPPED: '#7c8699',
  CANCELLED: '#b085f5',
};

export const STATUS_LABEL: Record<AnyStatus, string> = {
  PENDING: 'Pending',
  SCHEDULED: 'Scheduled',
  RUNNING: 'Running',
  RETRY_WAIT: 'Retry wait',
  SUCCEEDED: 'Succeeded',
  FAILED: 'Failed',
  TIMED_OUT: 'Timed out',
  SKIPPED: 'Skipped',
  CANCELLED: 'Cancelled',
};

export function StatusBadge({ status, title }: { status: AnyStatus; title?: string }) {
  const live = status === 'RUNNING' || status === 'SCHEDULED' || status === 'RETRY_WAIT';
  return (
    <span className={`ol-badge${live ? ' ol-badge-live' : ''}`} style={{ ['--c' as string]: STATUS_COLOR[status] }} data-status={status} title={title}>
      <i />
      {STATUS_LABEL[status]}
    </span>
  );
}
