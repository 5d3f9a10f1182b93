/**
 * The one polling helper for tests: wait on a real condition, with a bound. A test
 * waits for the event it means (a count reached, a state seen), never for a fixed
 * time; when the bound passes it fails naming what it waited for and the last value
 * (or error) the check gave.
 */

export interface WaitOptions {
  /** What is awaited, for the failure message ("the second snapshot"). */
  what?: string;
  /** Give up after this long. Default 10 s. */
  timeoutMs?: number;
  /** Pause between checks. Default 20 ms. */
  intervalMs?: number;
}

type Truthy<T> = Exclude<T, undefined | null | false | 0 | ''>;

/** Calls `check` until it returns a truthy value, and returns that value; a throwing check counts as not yet. */
export async function waitFor<T>(check: () => T | Promise<T>, opts: WaitOptions = {}): Promise<Truthy<T>> {
  const { what = 'condition', timeoutMs = 10_000, intervalMs = 20 } = opts;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Truthy<T>;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${show(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function show(value: unknown): string {
  if (value instanceof Error) return value.message;
  try {
    return (JSON.stringify(value) ?? String(value)).slice(0, 2000);
  } catch {
    return String(value);
  }
}

/**
 * Waits until `until` holds for what `check` gives, and returns that value; the
 * timeout message shows the last value seen (a check that throws counts as not yet).
 */
export async function waitUntil<T>(
  check: () => T | Promise<T>,
  until: (value: T) => boolean,
  opts: WaitOptions = {},
): Promise<T> {
  const got = await waitFor(async () => {
    const value = await check();
    if (!until(value)) throw new Error(`not yet: ${show(value)}`);
    return { value };
  }, opts);
  return got.value;
}
