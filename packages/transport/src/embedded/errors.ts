/** Why a transport operation was refused. */
export const TransportErrorReason = {
  /** The topic does not exist (topics are never created implicitly). */
  UnknownTopic: 'unknown-topic',
  /** An existing topic has another partition count than requested. */
  PartitionMismatch: 'partition-mismatch',
  /** A record, spec or offset has an invalid field. */
  InvalidArgument: 'invalid-argument',
  /** A commit names a partition this consumer does not own (a fenced zombie). */
  Fenced: 'fenced',
  /** The transport or consumer is closed. */
  Closed: 'closed',
  /** Another process holds the data directory. */
  Locked: 'locked',
} as const;
export type TransportErrorReason = (typeof TransportErrorReason)[keyof typeof TransportErrorReason];

/**
 * An error of the bus. `code`, `reason` and `details` are enumerable own properties, so they
 * survive JSON logging.
 */
export class TransportError extends Error {
  declare readonly code: 'ORCH_TRANSPORT';
  declare readonly reason: TransportErrorReason;
  declare readonly details?: Record<string, unknown>;

  constructor(reason: TransportErrorReason, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'TransportError';
    Object.assign(this, { code: 'ORCH_TRANSPORT', reason, ...(details === undefined ? {} : { details }) });
  }
}
