/**
 * A tiny seeded PRNG (mulberry32) for deterministic tests and replays. Not cryptographic.
 * Returns a function yielding floats in [0, 1), like Math.random.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A PRNG seeded from a string (its FNV-1a hash): the same key always draws the same numbers. The
 * orchestrator seeds the reducer's jitter with the position of the input it applies, so an input
 * applied again (a replay after a crash or a fence) draws the same retry delays and writes the
 * same events.
 */
export function seededRandom(key: string): () => number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return mulberry32(hash);
}
