/**
 * Follows runs through the gateway's live stream and turns their events into latency samples.
 *
 * Every run is registered (`expect`) before its StartRun is sent, so no frame is missed. When a
 * run's terminal event arrives all its earlier events have too (one run's events are in order),
 * so its samples are computed then and its state is dropped.
 *
 * The tracker shares the engine's event loop in the one-process phases, so what it keeps is
 * cheap to write: a run's times sit on the run, by step and by attempt, and a handler's start
 * and end (`handlerStarted`, `handlerEnded`) go to its attempt directly; nothing is found again
 * by a key built from strings.
 */
import { wallNow } from './stats.mjs';

const TERMINAL = new Set(['RunSucceeded', 'RunFailed', 'RunCancelled']);

/** What is known of one attempt of a step: when it was scheduled and started (events), and its handler's start and end. */
class AttemptTimes {
  scheduled = undefined;
  started = undefined;
  handlerStart = undefined;
  handlerEnd = undefined;
}

/** One step of a tracked run: its attempts by number, and the attempt that succeeded. */
class StepTimes {
  /** @type {AttemptTimes[]} index = attempt number */
  attempts = [];
  succeededAt = undefined;
  succeededAttempt = undefined;

  attempt(n) {
    return (this.attempts[n] ??= new AttemptTimes());
  }
}

class TrackedRun {
  /** @type {Map<string, StepTimes>} */
  steps = new Map();
  events = undefined;

  constructor(workload, measured, resolve) {
    this.workload = workload;
    this.measured = measured;
    this.sentAt = wallNow();
    this.resolve = resolve;
  }

  step(stepId) {
    let step = this.steps.get(stepId);
    if (step === undefined) this.steps.set(stepId, (step = new StepTimes()));
    return step;
  }
}

export class RunTracker {
  /**
   * @param {Map<string, Map<string, string[]>>} dependencies workload -> (stepId -> dependsOn)
   * @param {{ timeline?: boolean }} options `timeline`: also time each measured run's events one
   *   after the other (`samples.timeline`: for the n-th gap of a run, from its request to its end's
   *   frame, the milliseconds of each run).
   */
  constructor(dependencies, options = {}) {
    this.dependencies = dependencies;
    this.timeline = options.timeline === true;
    /** @type {Map<string, TrackedRun>} */
    this.runs = new Map();
    this.resetWindow(-Infinity, Infinity);
  }

  /** Starts a new measurement: counters and samples are for runs started in [t0, t1). */
  resetWindow(t0, t1) {
    this.t0 = t0;
    this.t1 = t1;
    this.stepsInWindow = 0;
    this.runsInWindow = 0;
    this.failedRuns = 0;
    this.samples = { dispatch: [], taskToNext: [], handoff: [], wsLatency: [], runLatency: [], timeline: new Map() };
  }

  /** Registers a run before it starts; the promise settles with its terminal event type. */
  expect(runId, workload, measured) {
    return new Promise((resolve) => {
      this.runs.set(runId, new TrackedRun(workload, measured, resolve));
    });
  }

  /** A handler of a tracked run's attempt begins (wall-clock now); ignored for a run not tracked. */
  handlerStarted(runId, stepId, attempt) {
    const run = this.runs.get(runId);
    if (run !== undefined) run.step(stepId).attempt(attempt).handlerStart = wallNow();
  }

  /** That handler returned (or threw). */
  handlerEnded(runId, stepId, attempt) {
    const run = this.runs.get(runId);
    if (run !== undefined) run.step(stepId).attempt(attempt).handlerEnd = wallNow();
  }

  /** One WebSocket frame `{seq, runId, type, at, data}`, received at `receivedAt` (wall-clock ms). */
  onFrame(frame, receivedAt) {
    const run = this.runs.get(frame.runId);
    if (!run) return;
    if (run.measured) this.samples.wsLatency.push(receivedAt - frame.at);
    if (run.measured && this.timeline) (run.events ??= [['request', run.sentAt]]).push([milestone(frame), frame.at]);
    const { data } = frame;
    switch (frame.type) {
      case 'StepScheduled':
        run.step(data.stepId).attempt(data.attempt).scheduled = frame.at;
        break;
      case 'StepStarted':
        run.step(data.stepId).attempt(data.attempt).started = data.startedAt ?? frame.at;
        break;
      case 'StepSucceeded': {
        const step = run.step(data.stepId);
        // A short attempt's start comes with its end: no StepStarted preceded it.
        if (data.startedAt !== undefined) step.attempt(data.attempt).started = data.startedAt;
        step.succeededAt = frame.at;
        step.succeededAttempt = data.attempt;
        if (frame.at >= this.t0 && frame.at < this.t1) this.stepsInWindow++;
        break;
      }
      default:
        if (TERMINAL.has(frame.type)) this.#finish(frame.runId, run, frame.type, receivedAt);
    }
  }

  #finish(runId, run, type, receivedAt) {
    this.runs.delete(runId);
    if (run.events !== undefined) this.#addTimeline([...run.events, ['its frame received', receivedAt]]);
    if (receivedAt >= this.t0 && receivedAt < this.t1) this.runsInWindow++;
    if (type !== 'RunSucceeded') this.failedRuns++;
    if (run.measured) this.#sample(run, receivedAt);
    run.resolve(type);
  }

  /** A measured run's latency samples: its own, each attempt's dispatch, and each dependent step's wait. */
  #sample(run, receivedAt) {
    const s = this.samples;
    s.runLatency.push(receivedAt - run.sentAt);
    for (const step of run.steps.values()) {
      for (const a of step.attempts) {
        if (a !== undefined && a.scheduled !== undefined && a.handlerStart !== undefined) s.dispatch.push(a.handlerStart - a.scheduled);
      }
    }
    for (const [stepId, dependsOn] of this.dependencies.get(run.workload)) {
      if (dependsOn.length === 0) continue;
      // The step became ready when its last dependency succeeded.
      let readyAt = -Infinity;
      let lastEnd = -Infinity;
      for (const dep of dependsOn) {
        const done = run.steps.get(dep);
        if (done?.succeededAt === undefined) continue;
        readyAt = Math.max(readyAt, done.succeededAt);
        lastEnd = Math.max(lastEnd, done.attempts[done.succeededAttempt]?.handlerEnd ?? -Infinity);
      }
      const first = run.steps.get(stepId)?.attempts[1];
      if (first?.started !== undefined && readyAt > -Infinity) s.taskToNext.push(first.started - readyAt);
      if (first?.handlerStart !== undefined && lastEnd > -Infinity) s.handoff.push(first.handlerStart - lastEnd);
    }
  }

  /** The gaps between a run's consecutive events, keyed by their place and names. */
  #addTimeline(events) {
    for (let i = 1; i < events.length; i++) {
      const key = `${i}|${events[i - 1][0]} -> ${events[i][0]}`;
      let gaps = this.samples.timeline.get(key);
      if (gaps === undefined) this.samples.timeline.set(key, (gaps = []));
      gaps.push(events[i][1] - events[i - 1][1]);
    }
  }
}

/** An event as a timeline names it: its type, step and attempt. */
function milestone(frame) {
  const { stepId, attempt } = frame.data ?? {};
  return `${frame.type}${stepId === undefined ? '' : ` ${stepId}`}${attempt === undefined ? '' : ` #${attempt}`}`;
}
