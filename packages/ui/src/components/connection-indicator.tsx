/** Live / reconnecting / offline, for the stream that feeds the view. */
import type { ConnectionState } from '../api/live-socket.ts';

const LABEL: Record<ConnectionState, string> = {
  connecting: 'Connecting',
  live: 'Live',
  reconnecting: 'Reconnecting',
  offline: 'Offline',
};

export function ConnectionIndicator({ state }: { state: ConnectionState }) {
  return (
    <span className={`ol-conn ol-conn-${state}`} data-testid="connection" data-state={state} role="status" aria-live="polite">
      <i />
      {LABEL[state]}
    </span>
  );
}
