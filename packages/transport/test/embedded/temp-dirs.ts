import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

const base = mkdtempSync(join(tmpdir(), 'orch-embedded-'));
let count = 0;
after(() => rmSync(base, { recursive: true, force: true }));

/** A fresh data directory, removed when the test file ends (after every transport closed). */
export function tempDataDir(): string {
  count += 1;
  return join(base, `bus-${count}`);
}
