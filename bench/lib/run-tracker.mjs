/**
 * Follows runs through the gateway's live stream and turns their events into latency samples.
 *
 * Every run is registered (`expect`) before its StartRun is sent, so no frame is missed. When a
 * run's terminal event arrives all its earlier events have too (one run's events are in order),
 * so its samples are computed then and its state is dropped.
 */
import { wallNow } from './stats.mjs';

const TERMINAL = new Set(['RunSucceeded', 'RunFailed', 'RunCancelled']);

export class RunTracker {
  /**
   * @param {Map<string, Map<string, string[]>>} dependencies workload -> (stepId -> dependsOn)
   * @param {{ timeline?: boolean }} options `timeline`: also time each measured run's events one
   *   after the other (`samples.timeline`: for the n-th gap of a run, from its request to its end's
   *   frame, the milliseconds of each run).
   */
  constructor(dependencies, probe, options = {}) {
    this.dependencies = dependencies;
    /** Instrumented handler start/end times, wall-clock ms: key `${runId}|${stepId}|${attempt}`. */
    this.probe = probe;
    this.timeline = options.timeline === true;
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
      this.runs.set(runId, { workload, measured, sentAt: wallNow(), scheduled: new Map(), started: new Map(), succeeded: new Map(), resolve });
    });
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
        run.scheduled.set(`${data.stepId}|${data.attempt}`, frame.at);
        break;
      case 'StepStarted':
        run.started.set(`${data.stepId}|${data.attempt}`, data.startedAt ?? frame.at);
        break;
      case 'StepSucceeded':
        // A short attempt's start comes with its end: no StepStarted preceded it.
        if (data.startedAt !== undefined) run.started.set(`${data.stepId}|${data.attempt}`, data.startedAt);
        run.succeeded.set(data.stepId, { at: frame.at, attempt: data.attempt });
        if (frame.at >= this.t0 && frame.at < this.t1) this.stepsInWindow++;
        break;
      default:
        if (TERMINAL.has(frame.type)) this.#finish(frame.runId, run, frame.type, receivedAt);
    }
  }

  #finish(runId, run, type, receivedAt) {
    this.runs.delete(runId);
    if (run.events !== undefined) this.#addTimeline([...run.events, ['its frame received', receivedAt]]);
    if (receivedAt >= this.t0 && receivedAt < this.t1) this.runsInWindow++;
    if (type !== 'RunSucceeded') this.failedRuns++;
    if (run.measured) {
      const s = this.samples;
      s.runLatency.push(receivedAt - run.sentAt);
      const deps = this.dependencies.get(run.workload);
      for (const [key, scheduledAt] of run.scheduled) {
        const start = this.probe.start.get(`${runId}|${key}`);
        if (start !== undefined) s.dispatch.push(start - scheduledAt);
      }
      for (const [stepId, dependsOn] of deps) {
        if (dependsOn.length === 0) continue;
        // The step became ready when its last dependency succeeded.
        let readyAt = -Infinity;
        let lastEnd = -Infinity;
        for (const dep of dependsOn) {
          const done = run.succeeded.get(dep);
          if (!done) continue;
          readyAt = Math.max(readyAt, done.at);
          lastEnd = Math.max(lastEnd, this.probe.end.get(`${runId}|${dep}|${done.attempt}`) ?? -Infinity);
        }
        const startedAt = run.started.get(`${stepId}|1`);
        if (startedAt !== undefined && readyAt > -Infinity) s.taskToNext.push(startedAt - readyAt);
        const handlerStart = this.probe.start.get(`${runId}|${stepId}|1`);
        if (handlerStart !== undefined && lastEnd > -Infinity) s.handoff.push(handlerStart - lastEnd);
      }
    }
    for (const key of run.scheduled.keys()) {
      this.probe.start.delete(`${runId}|${key}`);
      this.probe.end.delete(`${runId}|${key}`);
    }
    run.resolve(type);
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
