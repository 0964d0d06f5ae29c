/** What the report's parts share: reading a phase's result, formatting a figure, and the systems compared. */

/** A phase's result when it ran to the end, else undefined. */
export const ok = (phase) => (phase?.status === 'ok' ? phase : undefined);
/** A figure with `digits` decimals, or a dash when there is none. */
export const fmt = (v, digits = 1) => (v === null || v === undefined || Number.isNaN(v) ? '—' : Number(v).toFixed(digits));
/** a ÷ b, or undefined when either is missing or b is 0. */
export const ratio = (a, b) => (a === undefined || b === undefined || !b ? undefined : a / b);

/** The systems measured at saturation with the same load in one process: the engine on each bus, and the peer. */
export const SYSTEMS = [
  { phase: 'engine-embedded', label: 'engine (embedded)', color: '#4c78a8' },
  { phase: 'engine-kafka', label: 'engine (kafka)', color: '#f58518' },
  { phase: 'bullmq', label: 'BullMQ (Redis)', color: '#54a24b', peer: true },
];
