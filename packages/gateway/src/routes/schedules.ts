/**
 * Schedules: PUT/GET/DELETE and trigger. Writes go to the compacted `schedules` topic and to
 * this gateway's projection at once; the firing is done by the gateway that owns the
 * schedule's partition (schedules/scheduler.ts).
 */
import stringify from 'safe-stable-stringify';
import { ErrorCode, OrchError, SCHEDULE_NAME_PATTERN, ScheduleBody, ScheduleNameParams, unregisteredMessage } from '@orchestrator-lite/core';
import type { ScheduleItem, ScheduleTriggerResponse } from '@orchestrator-lite/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../context.js';
import { produceForRequest, requireCaughtUp } from '../bus.js';
import { badParameter, notFound, parseRequest } from '../http-errors.js';
import { checkInputSize, submitRun } from '../submit-run.js';
import { RECENT_FIRINGS, compileCron, firingKey, withDefaults } from '../schedules/spec.js';
import type { ScheduleSpec } from '../schedules/spec.js';
import type { ScheduleStore } from '../schedules/store.js';
import { OneAtATime } from '../schedules/one-at-a-time.js';
import { scheduleSchemas } from '../schemas/schedules.js';
import { principalOf } from './request.js';

const LOAD_WAIT_MS = 10_000;

function parseName(params: unknown): string {
  const parsed = ScheduleNameParams.safeParse(params);
  if (!parsed.success || !SCHEDULE_NAME_PATTERN.test(parsed.data.name)) {
    throw badParameter('name', 'must start with a letter and hold only letters, digits, ".", "_" and "-" (at most 128)');
  }
  return parsed.data.name;
}

function sameSpec(a: Omit<ScheduleSpec, 'createdAt' | 'updatedAt'>, b: Omit<ScheduleSpec, 'createdAt' | 'updatedAt'>): boolean {
  const strip = ({ createdAt: _c, updatedAt: _u, ...rest }: Partial<ScheduleSpec>) => rest;
  return stringify(strip(a)) === stringify(strip(b));
}

/** The schedules' handlers. A schedule's writes (put, delete, trigger) run one at a time by name. */
class ScheduleRoutes {
  readonly #writes = new OneAtATime();

  constructor(private readonly ctx: GatewayContext) {}

  async #store(): Promise<ScheduleStore> {
    const service = this.ctx.schedules;
    if (service.store === undefined || !(await service.whenLoaded(LOAD_WAIT_MS))) {
      throw new OrchError(ErrorCode.Unavailable, 'the gateway is still loading schedules from the bus; retry shortly');
    }
    return service.store;
  }

  /** A schedule as the API shows it: its spec, its next and last firing, and its recent runs with their status. */
  async #itemOf(store: ScheduleStore, spec: ScheduleSpec): Promise<ScheduleItem> {
    const state = store.firingState(spec.name);
    const now = this.ctx.now();
    return {
      ...spec,
      nextFireAt: spec.paused ? null : compileCron(spec.cron, spec.timezone).next(Math.max(now, state?.lastFireAt ?? -Infinity)),
      lastFireAt: state?.lastFireAt ?? null,
      lastRuns: await Promise.all(
        store.recentFirings(spec.name).map(async (firing) => ({
          ...firing,
          ...(firing.runId === undefined ? {} : { status: (await this.ctx.readModel.getRun(firing.runId))?.status ?? null }),
        })),
      ),
    };
  }

  /** The schedule's body, checked: its input's size, and its workflow (and version) registered. */
  async #wantedSpec(name: string, body: unknown): Promise<Omit<ScheduleSpec, 'createdAt' | 'updatedAt'>> {
    const { ctx } = this;
    const parsed = parseRequest(ScheduleBody, body, 'body');
    checkInputSize(ctx, parsed.input);
    await requireCaughtUp(ctx, 'definitions');
    const { workflow, version } = parsed;
    if ((version === undefined ? ctx.registry.latest(workflow) : ctx.registry.get(workflow, version)) === undefined) {
      throw new OrchError(ErrorCode.NotFound, unregisteredMessage(workflow, version), { field: 'workflow' });
    }
    return withDefaults(name, parsed);
  }

  #requireSchedule(store: ScheduleStore, name: string): ScheduleSpec {
    const spec = store.get(name);
    if (spec === undefined) throw notFound(`schedule ${JSON.stringify(name)} does not exist`);
    return spec;
  }

  /** Creates or changes a schedule: 201 when new, 200 when changed or already as asked. */
  async put(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const name = parseName(request.params);
    return this.#writes.run(name, async () => {
      const wanted = await this.#wantedSpec(name, request.body);
      const store = await this.#store();
      const existing = store.get(name);
      if (existing !== undefined && sameSpec(existing, wanted)) return reply.code(200).send(await this.#itemOf(store, existing));
      const now = this.ctx.now();
      const spec: ScheduleSpec = { ...wanted, createdAt: existing?.createdAt ?? now, updatedAt: now };
      await produceForRequest(this.ctx.transport, [store.specRecord(spec)]);
      store.setLocal('spec', spec);
      request.log.info({ schedule: name, workflow: spec.workflow, cron: spec.cron, paused: spec.paused, ...principalOf(request) }, existing === undefined ? 'schedule created' : 'schedule changed');
      return reply.code(existing === undefined ? 201 : 200).send(await this.#itemOf(store, spec));
    });
  }

  async list(): Promise<{ items: ScheduleItem[] }> {
    const store = await this.#store();
    return { items: await Promise.all(store.list().map((spec) => this.#itemOf(store, spec))) };
  }

  async get(request: FastifyRequest): Promise<ScheduleItem> {
    const name = parseName(request.params);
    const store = await this.#store();
    return this.#itemOf(store, this.#requireSchedule(store, name));
  }

  async delete(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const name = parseName(request.params);
    return this.#writes.run(name, async () => {
      const store = await this.#store();
      this.#requireSchedule(store, name);
      await produceForRequest(this.ctx.transport, store.tombstones(name));
      store.deleteLocal(name);
      request.log.info({ schedule: name, ...principalOf(request) }, 'schedule deleted');
      return reply.code(204).send();
    });
  }

  /** Fires the schedule now: a run under the firing's idempotency key, kept among its recent manual firings. */
  async trigger(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const name = parseName(request.params);
    return this.#writes.run(name, async () => {
      const { ctx } = this;
      const store = await this.#store();
      const spec = this.#requireSchedule(store, name);
      const fireAt = ctx.now();
      const { runId } = await submitRun(ctx, { workflow: spec.workflow, ...(spec.version === undefined ? {} : { version: spec.version }), input: spec.input, idempotencyKey: firingKey(name, fireAt) });
      const recent = [{ fireAt, runId, manual: true }, ...store.recentFirings(name).filter((f) => f.manual === true)].slice(0, RECENT_FIRINGS);
      await produceForRequest(ctx.transport, [store.manualRecord(name, recent)]);
      store.setLocal('manual', { name, recent });
      request.log.info({ schedule: name, runId, ...principalOf(request) }, 'schedule triggered');
      return reply.code(202).send({ runId } satisfies ScheduleTriggerResponse);
    });
  }
}

export function scheduleRoutes(ctx: GatewayContext) {
  const routes = new ScheduleRoutes(ctx);
  return async (app: FastifyInstance): Promise<void> => {
    app.put('/api/v1/schedules/:name', { schema: scheduleSchemas.put }, (request, reply) => routes.put(request, reply));
    app.get('/api/v1/schedules', { schema: scheduleSchemas.list }, () => routes.list());
    app.get('/api/v1/schedules/:name', { schema: scheduleSchemas.get }, (request) => routes.get(request));
    app.delete('/api/v1/schedules/:name', { schema: scheduleSchemas.delete }, (request, reply) => routes.delete(request, reply));
    app.post('/api/v1/schedules/:name/trigger', { schema: scheduleSchemas.trigger }, (request, reply) => routes.trigger(request, reply));
  };
}
