/** Writes to the bus on behalf of a request. */
import { ErrorCode, OrchError } from '@orchestrator-lite/core';
import type { ProduceRecord, RecordMetadata, Transport } from '@orchestrator-lite/transport';

/**
 * Produces and waits for the acknowledgement. A bus failure is the server's problem, not the
 * client's: it becomes 503 ORCH_TRANSPORT (retryable), never a 4xx and never a bare 500.
 */
export async function produceForRequest(transport: Transport, records: ProduceRecord[]): Promise<RecordMetadata[]> {
  try {
    return await transport.produce(records);
  } catch (error) {
    throw new OrchError(ErrorCode.Transport, 'the message bus did not accept the write; retry later', {
      reason: error instanceof Error ? error.message : String(error),
    });
  }
}
