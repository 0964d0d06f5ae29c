/**
 * The bench's client for the gateway's HTTP API on its hot path (a run started per request):
 * `node:http` over kept-alive connections.
 *
 * The engine phases run the client in the engine's own process, so what the client costs is taken
 * from the engine's event loop. The global `fetch` (undici: WHATWG streams, Request, Response and
 * Headers objects per call) allocated about 31 KB per run started, 12% of all that the process
 * allocated on the flaky workload with every role in one process. With this client, in alternated
 * pairs on the embedded bus, the engine made about 17% more steps a second on chain10 and flaky,
 * for 15% less CPU a step. BullMQ's phase adds its jobs through in-process calls.
 */
import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

/** POSTs `body` as JSON; resolves with the status and the response's text. */
export function postJson(url, body) {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Closes the kept-alive connections. */
export function closeClient() {
  agent.destroy();
}
