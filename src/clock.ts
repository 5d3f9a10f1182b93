/**
 * Time is injected everywhere a decision depends on it, so tests drive it with a
 * ManualClock instead of sleeping (knative's fake clock, kubelet's clock.Clock).
 */

export type TimerHandle = { readonly id: number };

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle | undefined): void;
  /** Resolves after `ms`; rejects with the signal's reason if aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export function createRealClock(): Clock {
  let nextId = 1;
  const timers = new Map<number, NodeJS.Timeout>();
  const clock: Clock = {
    now: () => Date.now(),
    setTimeout(fn, ms) {
      const id = nextId++;
      timers.set(
        id,
        setTimeout(() => {
          timers.delete(id);
          fn();
        }, ms),
      );
      return { id };
    },
    clearTimeout(handle) {
      if (!handle) return;
      const t = timers.get(handle.id);
      if (t) clearTimeout(t);
      timers.delete(handle.id);
    },
    setInterval(fn, ms) {
      const id = nextId++;
      timers.set(id, setInterval(fn, ms));
      return { id };
    },
    clearInterval(handle) {
      if (!handle) return;
      const t = timers.get(handle.id);
      if (t) clearInterval(t);
      timers.delete(handle.id);
    },
    sleep(ms, signal) {
      return sleepWith(clock, ms, signal);
    },
  };
  return clock;
}

interface ManualTimer {
  id: number;
  at: number;
  fn: () => void;
  every?: number;
}

/** A clock that only moves when a test calls `advance`. */
export class ManualClock implements Clock {
  private current: number;
  private nextId = 1;
  private timers: ManualTimer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.current + Math.max(0, ms), fn };
    this.timers.push(timer);
    return { id: timer.id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.timers = this.timers.filter((t) => t.id !== handle.id);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const every = Math.max(1, ms);
    const timer = { id: this.nextId++, at: this.current + every, fn, every };
    this.timers.push(timer);
    return { id: timer.id };
  }

  clearInterval(handle: TimerHandle | undefined): void {
    this.clearTimeout(handle);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.current + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.current = due.at;
      if (due.every) due.at += due.every;
      else this.timers = this.timers.filter((t) => t !== due);
      due.fn();
    }
    this.current = end;
  }

  /** Number of pending timers; tests use it to check that loops stopped. */
  pendingTimers(): number {
    return this.timers.length;
  }
}

function sleepWith(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
