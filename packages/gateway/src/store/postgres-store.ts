/**
 * The read store in PostgreSQL, shared by several gateways. The tables match the SQLite store's
 * (runs with the view as JSON and indexed columns, events keyed (run_id, seq), counters, the
 * per-partition checkpoint); a batch is one transaction that first locks its partition's
 * checkpoint row, so two writers of one partition (briefly, during a rebalance) apply batches one
 * after the other and the second skips what the first wrote. Each commit notifies a channel, so
 * gateways that follow the store push live events without polling delay.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { PoolClient } from 'pg';
import { RUN_STATUSES, STEP_STATUSES } from '@orchestrator-lite/core/projection';
import type { RunEvent, RunStatus, RunView, StepStatus } from '@orchestrator-lite/core/projection';
import { foldBatch, runCountKey, splitRunCountKey, summaryColumns } from './fold.js';
import { rowToEvent, rowToSummary } from './sqlite-store.js';
import { zeroCounts } from './types.js';
import type { AcceptedListener, BatchResult, IncomingRecord, ReadStore, RunListQuery, RunListResult, StoredEvent } from './types.js';

const INT8 = 20;
/** Offsets, seqs and epoch ms fit a double: read bigint columns as numbers. */
const types = {
  getTypeParser: ((oid: number, format?: string) => (oid === INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
};

function schemaSql(s: string): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.checkpoint (partition integer PRIMARY KEY, next bigint NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.runs (
  run_id text COLLATE "C" PRIMARY KEY, workflow text COLLATE "C" NOT NULL, version integer NOT NULL, status text NOT NULL,
  created_at bigint NOT NULL, updated_at bigint NOT NULL, last_seq bigint NOT NULL, error text, view text NOT NULL);
CREATE INDEX IF NOT EXISTS runs_newest ON ${s}.runs (created_at DESC, run_id DESC);
CREATE INDEX IF NOT EXISTS runs_status ON ${s}.runs (status, created_at DESC, run_id DESC);
CREATE INDEX IF NOT EXISTS runs_workflow ON ${s}.runs (workflow, status, created_at DESC, run_id DESC);
CREATE TABLE IF NOT EXISTS ${s}.events (
  run_id text COLLATE "C" NOT NULL, seq bigint NOT NULL, partition integer NOT NULL, "offset" bigint NOT NULL,
  type text NOT NULL, at bigint NOT NULL, data text NOT NULL, PRIMARY KEY (run_id, seq));
CREATE UNIQUE INDEX IF NOT EXISTS events_position ON ${s}.events (partition, "offset");
CREATE TABLE IF NOT EXISTS ${s}.run_counts (workflow text COLLATE "C" NOT NULL, status text NOT NULL, n bigint NOT NULL, PRIMARY KEY (workflow, status));
CREATE TABLE IF NOT EXISTS ${s}.step_counts (status text PRIMARY KEY, n bigint NOT NULL);
CREATE INDEX IF NOT EXISTS runs_ended ON ${s}.runs (updated_at) WHERE status IN ('SUCCEEDED', 'FAILED', 'CANCELLED');
CREATE TABLE IF NOT EXISTS ${s}.expired_runs (run_id text COLLATE "C" PRIMARY KEY, ended_at bigint NOT NULL);
CREATE INDEX IF NOT EXISTS expired_runs_ended ON ${s}.expired_runs (ended_at);`;
}

export interface PostgresReadStoreOptions {
  url: string;
  /** @default 'public' */
  schema?: string;
  /** Connections in the pool. @default 8 */
  poolSize?: number;
}

/** PostgreSQL error codes after which a transaction is simply run again. */
const RETRYABLE = new Set(['40001', '40P01']);

export class PostgresReadStore implements ReadStore {
  readonly kind = 'postgres';
  readonly publishesInTransaction = false;
  private listener: pg.Client | undefined;
  private readonly watchers = new Set<() => void>();

  private constructor(
    readonly id: string,
    private readonly pool: pg.Pool,
    private readonly options: PostgresReadStoreOptions,
    private readonly s: string,
    private readonly channel: string,
  ) {}

  static async open(options: PostgresReadStoreOptions): Promise<PostgresReadStore> {
    const schema = options.schema ?? 'public';
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) throw new Error(`readStoreSchema: ${JSON.stringify(schema)} is not a plain SQL identifier`);
    const s = `"${schema}"`;
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 8, types });
    // An idle connection that dies (server restart) is replaced on the next query.
    pool.on('error', () => undefined);
    try {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // Gateways starting together must not race on CREATE TABLE IF NOT EXISTS.
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`orch-read-store:${schema}`]);
        await client.query(schemaSql(s));
        await client.query(`INSERT INTO ${s}.meta (key, value) VALUES ('store_id', $1) ON CONFLICT (key) DO NOTHING`, [randomUUID()]);
        const { rows } = await client.query<{ value: string }>(`SELECT value FROM ${s}.meta WHERE key = 'store_id'`);
        await client.query('COMMIT');
        const id = rows[0]?.value;
        if (id === undefined) throw new Error('the read store has no store_id');
        return new PostgresReadStore(id, pool, options, s, `orch_read_store_${schema}`);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  }

  async checkpoint(): Promise<number[]> {
    const { rows } = await this.pool.query<{ partition: number; next: number }>(`SELECT partition, next FROM ${this.s}.checkpoint`);
    const out: number[] = [];
    for (const { partition, next } of rows) {
      while (out.length <= partition) out.push(0);
      out[partition] = next;
    }
    return out;
  }

  async applyBatch(partition: number, records: readonly IncomingRecord[], nextOffset: number, onAccepted?: AcceptedListener): Promise<BatchResult> {
    const result = await this.transaction((client) => this.applyIn(client, partition, records, nextOffset));
    // After the commit: other gateways and this one's queries read the database.
    if (result.applied) onAccepted?.(result.accepted);
    return result;
  }

  private async applyIn(client: PoolClient, partition: number, records: readonly IncomingRecord[], nextOffset: number): Promise<BatchResult> {
    const s = this.s;
    await client.query(`INSERT INTO ${s}.checkpoint (partition, next) VALUES ($1, 0) ON CONFLICT (partition) DO NOTHING`, [partition]);
    const locked = await client.query<{ next: number }>(`SELECT next FROM ${s}.checkpoint WHERE partition = $1 FOR UPDATE`, [partition]);
    const from = locked.rows[0]?.next ?? 0;
    if (nextOffset <= from) return { accepted: [], duplicates: 0, expired: 0, projectionErrors: [], applied: false };
    const fresh = records.filter((r): r is { offset: number; event: RunEvent } => r.offset >= from && r.event !== undefined);
    const runIds = [...new Set(fresh.map((r) => r.event.runId))];
    const views = new Map<string, RunView>();
    const lastSeqs = new Map<string, number>();
    const expired = new Map<string, number>();
    if (runIds.length > 0) {
      // The rows are locked until the commit, so a retention sweep can neither delete a run
      // between this read and the write below (the write would bring back a row whose share the
      // sweep took off the counters) nor wait on it: it skips locked rows. One that deleted a
      // run first makes this statement wait for its commit and then find no row, and the next
      // statements see its expired id.
      const viewRows = await client.query<{ run_id: string; view: string }>(`SELECT run_id, view FROM ${s}.runs WHERE run_id = ANY($1::text[]) FOR UPDATE`, [runIds]);
      const seqRows = await client.query<{ run_id: string; seq: number }>(`SELECT run_id, max(seq) AS seq FROM ${s}.events WHERE run_id = ANY($1::text[]) GROUP BY run_id`, [runIds]);
      for (const row of viewRows.rows) views.set(row.run_id, JSON.parse(row.view) as RunView);
      for (const row of seqRows.rows) lastSeqs.set(row.run_id, row.seq);
      const unknown = runIds.filter((id) => !lastSeqs.has(id) && !views.has(id));
      if (unknown.length > 0) {
        const expiredRows = await client.query<{ run_id: string; ended_at: number }>(`SELECT run_id, ended_at FROM ${s}.expired_runs WHERE run_id = ANY($1::text[])`, [unknown]);
        for (const row of expiredRows.rows) expired.set(row.run_id, row.ended_at);
      }
    }
    const outcome = foldBatch({ partition, records: fresh, views, lastSeqs, expired });
    if (outcome.accepted.length > 0) {
      const cols = { runId: [] as string[], seq: [] as number[], offset: [] as number[], type: [] as string[], at: [] as number[], data: [] as string[] };
      for (const { event, offset } of outcome.accepted) {
        cols.runId.push(event.runId);
        cols.seq.push(event.seq);
        cols.offset.push(offset);
        cols.type.push(event.type);
        cols.at.push(event.at);
        cols.data.push(JSON.stringify(event.data ?? null));
      }
      await client.query(
        `INSERT INTO ${s}.events (run_id, seq, partition, "offset", type, at, data)
         SELECT r, q, $7, o, t, a, d FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[], $6::text[]) AS u(r, q, o, t, a, d)`,
        [cols.runId, cols.seq, cols.offset, cols.type, cols.at, cols.data, partition],
      );
    }
    if (outcome.views.size > 0) {
      const rows = [...outcome.views].map(([runId, view]) => ({ runId, ...summaryColumns(view), view: JSON.stringify(view) }));
      await client.query(
        `INSERT INTO ${s}.runs (run_id, workflow, version, status, created_at, updated_at, last_seq, error, view)
         SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[], $9::text[])
         ON CONFLICT (run_id) DO UPDATE SET workflow = excluded.workflow, version = excluded.version, status = excluded.status,
           created_at = excluded.created_at, updated_at = excluded.updated_at, last_seq = excluded.last_seq, error = excluded.error, view = excluded.view`,
        [
          rows.map((r) => r.runId),
          rows.map((r) => r.workflow),
          rows.map((r) => r.version),
          rows.map((r) => r.status),
          rows.map((r) => r.createdAt),
          rows.map((r) => r.updatedAt),
          rows.map((r) => r.lastSeq),
          rows.map((r) => r.error),
          rows.map((r) => r.view),
        ],
      );
    }
    await this.bumpCounts(client, outcome.counts.runs, outcome.counts.steps);
    await client.query(`UPDATE ${s}.checkpoint SET next = $2 WHERE partition = $1`, [partition, nextOffset]);
    await client.query('SELECT pg_notify($1, $2)', [this.channel, String(partition)]);
    return { accepted: outcome.accepted, duplicates: outcome.duplicates, expired: outcome.expired, projectionErrors: outcome.projectionErrors, applied: true };
  }

  /** Moves the counters. Every writer updates their rows in one sorted order, so two cannot deadlock. */
  private async bumpCounts(client: PoolClient, runs: ReadonlyMap<string, number>, steps: ReadonlyMap<string, number>): Promise<void> {
    const s = this.s;
    const byKey = ([a]: [string, number], [b]: [string, number]): number => (a < b ? -1 : a > b ? 1 : 0);
    const runCounts = [...runs].filter(([, n]) => n !== 0).sort(byKey);
    if (runCounts.length > 0) {
      const keys = runCounts.map(([key]) => splitRunCountKey(key));
      await client.query(
        `INSERT INTO ${s}.run_counts (workflow, status, n) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
         ON CONFLICT (workflow, status) DO UPDATE SET n = ${s}.run_counts.n + excluded.n`,
        [keys.map((k) => k.workflow), keys.map((k) => k.status), runCounts.map(([, n]) => n)],
      );
    }
    const stepCounts = [...steps].filter(([, n]) => n !== 0).sort(byKey);
    if (stepCounts.length > 0) {
      await client.query(
        `INSERT INTO ${s}.step_counts (status, n) SELECT * FROM unnest($1::text[], $2::bigint[])
         ON CONFLICT (status) DO UPDATE SET n = ${s}.step_counts.n + excluded.n`,
        [stepCounts.map(([status]) => status), stepCounts.map(([, n]) => n)],
      );
    }
  }

  /** Runs `work` in a transaction, again after a serialization failure or a deadlock. */
  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        const code = (error as { code?: string }).code;
        if (attempt >= 5 || code === undefined || !RETRYABLE.has(code)) throw error;
      } finally {
        client.release();
      }
    }
  }

  /**
   * One statement picks and deletes the runs (rows another transaction holds are skipped, not
   * waited on) and returns each deleted run's workflow, status and steps per status, computed
   * from its view in the server; the counters are then lowered by exactly what it returned, in
   * the same transaction. Two gateways sweeping at once therefore never take a run off the
   * counters twice: a row is returned only to the statement that deleted it.
   */
  expireRuns(endedBefore: number, limit: number): Promise<string[]> {
    const s = this.s;
    return this.transaction(async (client) => {
      const { rows } = await client.query<{ run_id: string; workflow: string; status: RunStatus; updated_at: number; steps: Record<string, number> }>(
        `DELETE FROM ${s}.runs WHERE run_id IN (
           SELECT run_id FROM ${s}.runs WHERE status IN ('SUCCEEDED', 'FAILED', 'CANCELLED') AND updated_at < $1
           ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING run_id, workflow, status, updated_at,
           (SELECT coalesce(jsonb_object_agg(st, n), '{}'::jsonb) FROM (
              SELECT step ->> 'status' AS st, count(*) AS n FROM jsonb_each(view::jsonb -> 'steps') AS e(id, step) GROUP BY 1) q) AS steps`,
        [endedBefore, limit],
      );
      if (rows.length === 0) return [];
      const runIds = rows.map((r) => r.run_id);
      await client.query(`DELETE FROM ${s}.events WHERE run_id = ANY($1::text[])`, [runIds]);
      await client.query(
        `INSERT INTO ${s}.expired_runs (run_id, ended_at) SELECT * FROM unnest($1::text[], $2::bigint[])
         ON CONFLICT (run_id) DO UPDATE SET ended_at = excluded.ended_at`,
        [runIds, rows.map((r) => r.updated_at)],
      );
      const runs = new Map<string, number>();
      const steps = new Map<string, number>();
      for (const r of rows) {
        const key = runCountKey(r.workflow, r.status);
        runs.set(key, (runs.get(key) ?? 0) - 1);
        for (const [status, n] of Object.entries(r.steps)) steps.set(status, (steps.get(status) ?? 0) - Number(n));
      }
      await this.bumpCounts(client, runs, steps);
      return runIds;
    });
  }

  async forgetExpired(endedBefore: number, limit: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM ${this.s}.expired_runs WHERE run_id IN (
         SELECT run_id FROM ${this.s}.expired_runs WHERE ended_at < $1 ORDER BY ended_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [endedBefore, limit],
    );
    return rowCount ?? 0;
  }

  async getRun(runId: string): Promise<RunView | undefined> {
    const { rows } = await this.pool.query<{ view: string }>(`SELECT view FROM ${this.s}.runs WHERE run_id = $1`, [runId]);
    const row = rows[0];
    return row === undefined ? undefined : (JSON.parse(row.view) as RunView);
  }

  async listRuns(query: RunListQuery): Promise<RunListResult> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const param = (value: string | number): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (query.workflow !== undefined) where.push(`workflow = ${param(query.workflow)}`);
    if (query.status !== undefined) where.push(`status = ${param(query.status)}`);
    if (query.after !== undefined) where.push(`(created_at, run_id) < (${param(query.after.createdAt)}::bigint, ${param(query.after.runId)}::text COLLATE "C")`);
    // Why a PENDING run waits is read from its view, for the PENDING rows of the page only.
    const sql = `SELECT run_id, workflow, version, status, created_at, updated_at, last_seq, error,
      CASE WHEN status = 'PENDING' THEN (view::json)->>'queued' END AS queued FROM ${this.s}.runs
      ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY created_at DESC, run_id DESC LIMIT ${param(query.limit + 1)}`;
    const { rows } = await this.pool.query<Parameters<typeof rowToSummary>[0]>(sql, params);
    const items = rows.slice(0, query.limit).map(rowToSummary);
    const last = items.at(-1);
    return { items, next: rows.length > query.limit && last !== undefined ? { createdAt: last.createdAt, runId: last.runId } : null };
  }

  async counts(workflow?: string): Promise<Record<RunStatus, number>> {
    const counts = zeroCounts(RUN_STATUSES);
    const { rows } =
      workflow === undefined
        ? await this.pool.query<{ status: RunStatus; n: number }>(`SELECT status, sum(n)::bigint AS n FROM ${this.s}.run_counts GROUP BY status`)
        : await this.pool.query<{ status: RunStatus; n: number }>(`SELECT status, n FROM ${this.s}.run_counts WHERE workflow = $1`, [workflow]);
    for (const { status, n } of rows) counts[status] = n;
    return counts;
  }

  async countsByWorkflow(): Promise<{ workflow: string; status: RunStatus; count: number }[]> {
    const { rows } = await this.pool.query<{ workflow: string; status: RunStatus; n: number }>(
      `SELECT workflow, status, n FROM ${this.s}.run_counts WHERE n <> 0 ORDER BY workflow, status`,
    );
    return rows.map(({ workflow, status, n }) => ({ workflow, status, count: n }));
  }

  async stepCounts(): Promise<Record<StepStatus, number>> {
    const counts = zeroCounts(STEP_STATUSES);
    const { rows } = await this.pool.query<{ status: StepStatus; n: number }>(`SELECT status, n FROM ${this.s}.step_counts`);
    for (const { status, n } of rows) counts[status] = n;
    return counts;
  }

  async runEvents(runId: string, since: number, limit: number): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query<Parameters<typeof rowToEvent>[0]>(
      `SELECT * FROM ${this.s}.events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [runId, since, limit],
    );
    return rows.map(rowToEvent);
  }

  async partitionEvents(partition: number, from: number, limit: number): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query<Parameters<typeof rowToEvent>[0]>(
      `SELECT * FROM ${this.s}.events WHERE partition = $1 AND "offset" >= $2 ORDER BY "offset" LIMIT $3`,
      [partition, from, limit],
    );
    return rows.map(rowToEvent);
  }

  watch(listener: () => void): () => void {
    this.watchers.add(listener);
    if (this.listener === undefined) {
      const client = new pg.Client({ connectionString: this.options.url, types });
      this.listener = client;
      client.on('notification', () => {
        for (const watcher of this.watchers) watcher();
      });
      // Losing the listening connection only slows live pushes down to the polling interval.
      client.on('error', () => undefined);
      client
        .connect()
        .then(() => client.query(`LISTEN "${this.channel}"`))
        .catch(() => undefined);
    }
    return () => this.watchers.delete(listener);
  }

  async close(): Promise<void> {
    this.watchers.clear();
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.pool.end();
  }
}
