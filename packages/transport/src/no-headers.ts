import type { Headers } from './types.js';

/** The headers of a consumed record that has none: one frozen object for them all, on either bus. */
export const NO_HEADERS: Headers = Object.freeze({});
