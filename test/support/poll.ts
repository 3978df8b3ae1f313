/**
 * Calls `attempt` until `done` holds or `timeoutMs` passed, and returns the last result: for
 * behaviour documented as eventual (e.g. "within a second"), never a fixed sleep.
 */
export async function pollUntil<T>(attempt: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt();
    if (done(value) || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
