/** The thread of thread-channel.test.ts: answers what it is asked, and counts the messages it got. */
import { parentPort } from 'node:worker_threads';
import { serveThreadChannel } from '../src/thread-channel.js';

export type FixtureRequest = { op: 'echo'; value: unknown } | { op: 'messages' } | { op: 'slow'; ms: number } | { op: 'fail'; message: string } | { op: 'busy'; ms: number } | { op: 'exit' };

let messages = 0;
parentPort?.on('message', () => (messages += 1));

function handle(request: FixtureRequest): unknown {
  switch (request.op) {
    case 'echo':
      return request.value;
    case 'messages':
      return messages;
    case 'slow':
      return new Promise((resolve) => setTimeout(() => resolve(request.ms), request.ms));
    case 'busy': {
      // Holds the thread's loop: no message is taken, and no reply sent, until it is done.
      const until = Date.now() + request.ms;
      while (Date.now() < until);
      return request.ms;
    }
    case 'fail':
      throw Object.assign(new RangeError(request.message), { code: 'E_FIXTURE' });
    case 'exit':
      return process.exit(7);
  }
}

if (parentPort !== null) serveThreadChannel(parentPort, handle);
