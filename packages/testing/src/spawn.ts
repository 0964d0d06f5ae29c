import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './wait.js';

/** The part of node:test's TestContext that helpers need to register cleanup. */
export interface CleanupContext {
  after(fn: () => unknown): void;
}

export interface SpawnRoleOptions {
  /** A label for logs and errors, e.g. `orchestrator-1`. */
  name: string;
  /** @default process.execPath (node) */
  command?: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Grace period between SIGTERM and SIGKILL at cleanup. @default 5000 */
  killTimeoutMs?: number;
  /** Also echo the output to this test process's stderr. @default false (or ORCH_TEST_ECHO=1) */
  echo?: boolean;
}

export interface SpawnedRole {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything it printed so far (stdout and stderr, interleaved). */
  output(): string;
  /** Waits until the output matches; the error carries the output tail. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal name) once the process ended. */
  exited(): Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after the grace period; resolves when it is gone. */
  stop(): Promise<void>;
}

/** Starts a child process whose output is captured, and stops it when the test ends. */
export function spawnRole(t: CleanupContext, options: SpawnRoleOptions): SpawnedRole {
  const child = spawn(options.command ?? process.execPath, options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`spawnRole: ${options.name} could not be started`);
  const pid = child.pid;
  const echo = options.echo ?? process.env.ORCH_TEST_ECHO === '1';
  let buffer = '';
  const onData = (chunk: Buffer): void => {
    buffer += chunk.toString();
    if (buffer.length > 4_000_000) buffer = buffer.slice(-2_000_000);
    if (echo) process.stderr.write(`[${options.name}] ${chunk.toString()}`);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exit = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;

  const stop = async (): Promise<void> => {
    if (!alive()) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => { if (alive()) child.kill('SIGKILL'); }, options.killTimeoutMs ?? 5000);
    await exit;
    clearTimeout(timer);
  };
  t.after(stop);

  return {
    name: options.name,
    child,
    pid,
    output: () => buffer,
    async waitForOutput(pattern, timeoutMs = 15_000) {
      try {
        return await waitFor(() => buffer.match(pattern), { timeoutMs, intervalMs: 50, description: `${options.name} to print ${String(pattern)}` });
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- ${options.name} output (tail) ---\n${buffer.slice(-3000)}`, { cause: error });
      }
    },
    exited: () => exit,
    kill: (signal = 'SIGKILL') => { if (alive()) child.kill(signal); },
    stop,
  };
}
