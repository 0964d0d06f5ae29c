/** The live stream's query: it speaks WebSocket, so its frames are not a response body. */
import { z } from 'zod';
import { queryString } from './common.js';

export const StreamQuery = z.object({
  runId: z.string().min(1).max(200).optional().meta({ description: "One run's events; absent: every run's." }),
  since: queryString('With runId: events after this seq.'),
  cursor: queryString('Without runId: resume after the frame that carried this cursor.'),
  types: queryString(
    'Only events of these types, comma-separated (say RunStarted,RunSucceeded,RunFailed,RunCancelled for a list of runs); absent: every type. The cursor and since still count the events left out.',
  ),
  counts: queryString(
    'Without runId, true: also frames {type: "counts", at, counts: {workflow: {status: n}}}, the runs in the read store, on connecting and whenever they change (at most about once a second).',
  ),
  schedules: queryString('Without runId, true: also frames {type: "schedules", at} when the schedules change (written, paused, deleted, fired), at most one a second.'),
});
