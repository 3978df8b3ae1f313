/**
 * Bounded polling, for behaviour that is eventual by design ("within a second") or for output that
 * arrives asynchronously (log lines, processes exiting): never a fixed sleep.
 */

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

async function poll<T>(attempt: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs: number, stepMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt();
    if (done(value)) return { value, met: true };
    if (Date.now() >= deadline) return { value, met: false };
    await sleep(stepMs);
  }
}

/**
 * Calls `attempt` until `done` holds or `timeoutMs` passed, and returns the last result, so that the
 * test's own assertion on it shows what was answered last.
 */
export async function pollUntil<T>(attempt: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, stepMs = 50): Promise<T> {
  return (await poll(attempt, done, timeoutMs, stepMs)).value;
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs` naming `what`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  stepMs = 50,
): Promise<T> {
  const { value, met } = await poll(check, (result) => result !== undefined, timeoutMs, stepMs);
  if (!met || value === undefined) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  return value;
}
