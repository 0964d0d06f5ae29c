/** Runs `work` and counts the event loop's turns meanwhile: work done in slices lets it turn between them. */
export async function withLoopTurns<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let spinning = true;
  const spin = (): void => {
    turns += 1;
    if (spinning) setImmediate(spin);
  };
  setImmediate(spin);
  try {
    return { result: await work(), turns };
  } finally {
    spinning = false;
  }
}
