/** A setup module for role-thread.fixture.ts: names the role. */
export function setupFixtureThread(data: { name: string }): { name: string } {
  return { name: data.name };
}
