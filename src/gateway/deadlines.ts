import type { Clock, TimerHandle } from '../clock.js';

/**
 * `rpc.keepalive` deadlines without a timer per request. Every request of a lane
 * (one per keepalive length) gets `now + ms`, so deadlines arrive in order: a lane
 * is a FIFO with one clock timer armed for its first live entry. `add` and `cancel`
 * are O(1) and allocate nothing but an array slot; a finished request's slot is
 * cleared at once, so nothing it holds lives on until its deadline.
 */

export interface Expirable {
  expire(): void;
}

export interface Deadline {
  lane: Lane;
  seq: number;
}

class Lane {
  items: (Expirable | undefined)[] = [];
  at: number[] = [];
  head = 0;
  /** Sequence number of items[0]. */
  base = 0;
  /** Entries neither cancelled nor expired; at 0 the timer is stopped. */
  live = 0;
  timer: TimerHandle | undefined = undefined;

  constructor(
    private readonly clock: Clock,
    private readonly ms: number,
  ) {}

  add(item: Expirable): number {
    const seq = this.base + this.items.length;
    this.items.push(item);
    this.at.push(this.clock.now() + this.ms);
    this.live++;
    if (this.timer === undefined) this.arm();
    return seq;
  }

  cancel(seq: number): void {
    const i = seq - this.base;
    if (i < this.head || i >= this.items.length || this.items[i] === undefined) return;
    this.items[i] = undefined;
    if (--this.live > 0) return;
    // Nothing left to expire: stop the timer (an idle gateway keeps no timer).
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.base += this.items.length;
    this.items.length = 0;
    this.at.length = 0;
    this.head = 0;
  }

  private arm(): void {
    while (this.head < this.items.length && this.items[this.head] === undefined) this.head++;
    this.compact();
    if (this.head >= this.items.length) {
      this.timer = undefined;
      return;
    }
    this.timer = this.clock.setTimeout(this.fire, Math.max(0, this.at[this.head]! - this.clock.now()));
  }

  private fire = (): void => {
    this.timer = undefined;
    const now = this.clock.now();
    while (this.head < this.items.length && this.at[this.head]! <= now) {
      const item = this.items[this.head];
      this.items[this.head] = undefined;
      this.head++;
      if (item === undefined) continue;
      this.live--;
      item.expire();
    }
    if (this.timer === undefined) this.arm();
  };

  private compact(): void {
    if (this.head === this.items.length) {
      this.base += this.items.length;
      this.items.length = 0;
      this.at.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.at.splice(0, this.head);
      this.base += this.head;
      this.head = 0;
    }
  }
}

export class Deadlines {
  private readonly lanes = new Map<number, Lane>();

  constructor(private readonly clock: Clock) {}

  /** Calls `item.expire()` once `ms` have passed, unless cancelled first. */
  add(ms: number, item: Expirable): Deadline {
    let lane = this.lanes.get(ms);
    if (!lane) {
      lane = new Lane(this.clock, ms);
      this.lanes.set(ms, lane);
    }
    return { lane, seq: lane.add(item) };
  }

  cancel(d: Deadline | undefined): void {
    d?.lane.cancel(d.seq);
  }
}
