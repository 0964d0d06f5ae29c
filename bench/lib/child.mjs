/**
 * Runs one phase in its own process (a fresh heap, a fresh event loop): `node child.mjs <phase> <json>`.
 * The result goes back over IPC; the process then exits even if a client left a handle open.
 */
const [phase, json] = process.argv.slice(2);
if (!phase || !/^[a-z-]+$/.test(phase)) throw new Error(`child: phase must be a lowercase name, got ${JSON.stringify(phase)}`);
const options = JSON.parse(json ?? '{}');
const timer = setTimeout(() => {
  process.stderr.write(`bench: phase ${phase} exceeded its ${options.timeoutMs} ms budget\n`);
  process.exit(3);
}, options.timeoutMs ?? 600_000);
try {
  const { run } = await import(`../phases/${phase}.mjs`);
  const result = await run(options);
  clearTimeout(timer);
  if (process.send) process.send({ ok: true, result }, () => process.exit(0));
  else process.stdout.write(`${JSON.stringify(result, null, 2)}\n`, () => process.exit(0));
} catch (error) {
  process.stderr.write(`bench: phase ${phase} failed: ${error.stack ?? error}\n`);
  if (process.send) process.send({ ok: false, error: String(error.message ?? error) }, () => process.exit(1));
  else process.exit(1);
}
