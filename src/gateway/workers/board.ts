/**
 * The state that gateway threads share so per-service limits stay exact however
 * many threads accept connections (`--gateway-workers`): one SharedArrayBuffer,
 * read and written with Atomics (ECMAScript §25.4, "Atomics"), laid out in slots
 * that the main thread assigns (slots.ts) and sends with every snapshot.
 *
 * Per instance (Int32, atomic): requests holding a `worker_threads` slot, requests
 * queued (`max_queue_size`), WebSocket tunnels, and a generation bumped on every
 * release so threads with queued requests (and drain) can wait on it
 * (`Atomics.waitAsync`). Per service: the activator's held count and a lock over
 * the `rpc.rate_limit` token bucket (two Float64 cells). Cumulative counters
 * (requests per instance and service, in flight per service) are one row per
 * thread, each written by its own thread only, summed when read.
 */

export const INSTANCE_SLOTS = 4096;
export const SERVICE_SLOTS = 1024;

const I_ACTIVE = 0;
const I_QUEUED = 1;
const I_TUNNELS = 2;
const I_GEN = 3;
/** Threads waiting on I_GEN: a release notifies only when someone waits (notify takes a lock). */
const I_WAITERS = 4;
const I_FIELDS = 5;
const S_BASE = INSTANCE_SLOTS * I_FIELDS;
const S_PENDING = 0;
const S_LOCK = 1;
const S_FIELDS = 2;
const I32_LEN = S_BASE + SERVICE_SLOTS * S_FIELDS;

/** Float64 layout: token buckets, then per-thread rows. */
const ROW = INSTANCE_SLOTS + 2 * SERVICE_SLOTS;
const ROWS_BASE = 2 * SERVICE_SLOTS;

export function boardBytes(threads: number): number {
  return I32_LEN * 4 + (ROWS_BASE + threads * ROW) * 8;
}

/** Slot numbers by name, as the main thread assigned them. */
export interface SlotMap {
  services: [string, number][];
  instances: [string, number][];
}

/** ES2024's `Atomics.waitAsync` (in Node since 16); the project's lib is ES2022. */
interface AtomicsWaitAsync {
  waitAsync(
    a: Int32Array,
    index: number,
    value: number,
    timeout: number,
  ): { async: false; value: string } | { async: true; value: Promise<string> };
}

export class Board {
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  private readonly row: number;
  private services = new Map<string, number>();
  private instances = new Map<string, number>();

  constructor(
    readonly sab: SharedArrayBuffer,
    readonly threads: number,
    readonly thread: number,
  ) {
    this.i32 = new Int32Array(sab, 0, I32_LEN);
    this.f64 = new Float64Array(sab, I32_LEN * 4, ROWS_BASE + threads * ROW);
    this.row = ROWS_BASE + thread * ROW;
  }

  setSlots(map: SlotMap): void {
    this.services = new Map(map.services);
    this.instances = new Map(map.instances);
  }

  serviceSlot(name: string): number {
    return this.services.get(name) ?? -1;
  }

  instanceSlot(id: string): number {
    return this.instances.get(id) ?? -1;
  }

  // --- instances: worker slots, queue, tunnels ---

  inflight(slot: number): number {
    const b = slot * I_FIELDS;
    const a = this.i32;
    return Atomics.load(a, b + I_ACTIVE) + Atomics.load(a, b + I_QUEUED) + Atomics.load(a, b + I_TUNNELS);
  }

  /** Requests holding a worker slot, i.e. at the instance (not queued in a gateway), every thread. */
  running(slot: number): number {
    return Atomics.load(this.i32, slot * I_FIELDS + I_ACTIVE);
  }

  isFull(slot: number, workers: number, maxQueue: number): boolean {
    const b = slot * I_FIELDS;
    return Atomics.load(this.i32, b + I_ACTIVE) >= workers && Atomics.load(this.i32, b + I_QUEUED) >= maxQueue;
  }

  /** Takes a worker slot if one is free and nobody queues for one (no jumping the queue). */
  tryRun(slot: number, workers: number): boolean {
    const b = slot * I_FIELDS;
    if (Atomics.load(this.i32, b + I_QUEUED) > 0) return false;
    return this.incBelow(b + I_ACTIVE, workers);
  }

  tryQueue(slot: number, maxQueue: number): boolean {
    return this.incBelow(slot * I_FIELDS + I_QUEUED, maxQueue);
  }

  /** A queued request of this thread takes a slot freed by any thread. */
  grantQueued(slot: number, workers: number): boolean {
    const b = slot * I_FIELDS;
    if (!this.incBelow(b + I_ACTIVE, workers)) return false;
    Atomics.sub(this.i32, b + I_QUEUED, 1);
    this.bump(slot);
    return true;
  }

  /** A released slot goes straight to a request queued in the same thread. */
  handOver(slot: number): void {
    Atomics.sub(this.i32, slot * I_FIELDS + I_QUEUED, 1);
    this.bump(slot);
  }

  release(slot: number): void {
    Atomics.sub(this.i32, slot * I_FIELDS + I_ACTIVE, 1);
    this.bump(slot);
  }

  unqueue(slot: number): void {
    Atomics.sub(this.i32, slot * I_FIELDS + I_QUEUED, 1);
    this.bump(slot);
  }

  tunnel(slot: number, delta: 1 | -1): void {
    Atomics.add(this.i32, slot * I_FIELDS + I_TUNNELS, delta);
    if (delta < 0) this.bump(slot);
  }

  generation(slot: number): number {
    return Atomics.load(this.i32, slot * I_FIELDS + I_GEN);
  }

  /** Resolves when the instance's generation moves past `seen`, or after `ms`. */
  async waitChange(slot: number, seen: number, ms: number): Promise<void> {
    const b = slot * I_FIELDS;
    Atomics.add(this.i32, b + I_WAITERS, 1);
    try {
      const r = (Atomics as unknown as AtomicsWaitAsync).waitAsync(this.i32, b + I_GEN, seen, Math.max(0, ms));
      if (r.async) await r.value;
    } finally {
      Atomics.sub(this.i32, b + I_WAITERS, 1);
    }
  }

  addInstanceRequests(slot: number, delta: number): void {
    this.f64[this.row + slot] += delta;
  }

  instanceRequests(slot: number): number {
    let sum = 0;
    for (let t = 0; t < this.threads; t++) sum += this.f64[ROWS_BASE + t * ROW + slot]!;
    return sum;
  }

  // --- services: request counts, activator hold, rate limit ---

  addService(slot: number, requests: number, inflight: number): void {
    const i = this.row + INSTANCE_SLOTS + 2 * slot;
    this.f64[i] += requests;
    this.f64[i + 1] += inflight;
  }

  serviceCounts(slot: number): { requests: number; inflight: number } {
    let requests = 0;
    let inflight = 0;
    for (let t = 0; t < this.threads; t++) {
      const i = ROWS_BASE + t * ROW + INSTANCE_SLOTS + 2 * slot;
      requests += this.f64[i]!;
      inflight += this.f64[i + 1]!;
    }
    return { requests, inflight };
  }

  /** Requests thread `t` has counted, all services (how connections spread). */
  threadRequests(t: number): number {
    let sum = 0;
    const base = ROWS_BASE + t * ROW + INSTANCE_SLOTS;
    for (let slot = 0; slot < SERVICE_SLOTS; slot++) sum += this.f64[base + 2 * slot]!;
    return sum;
  }

  tryHold(slot: number, maxQueue: number): boolean {
    return this.incBelow(S_BASE + slot * S_FIELDS + S_PENDING, maxQueue);
  }

  unhold(slot: number): void {
    Atomics.sub(this.i32, S_BASE + slot * S_FIELDS + S_PENDING, 1);
  }

  held(slot: number): number {
    return Atomics.load(this.i32, S_BASE + slot * S_FIELDS + S_PENDING);
  }

  /**
   * One token from the service's bucket (rate-limit.ts semantics: one second of
   * burst, continuous refill) under a spin lock: the section is a few loads and
   * stores, far shorter than any wait a futex would save.
   */
  takeToken(slot: number, rate: number, now: number): boolean {
    const lock = S_BASE + slot * S_FIELDS + S_LOCK;
    while (Atomics.compareExchange(this.i32, lock, 0, 1) !== 0) {
      // another thread holds the bucket for a few instructions
    }
    const f = this.f64;
    const t = 2 * slot;
    const capacity = Math.max(1, rate);
    if (f[t + 1] === 0) {
      f[t] = capacity;
      f[t + 1] = now;
    } else if (now > f[t + 1]!) {
      f[t] = Math.min(capacity, f[t]! + ((now - f[t + 1]!) * rate) / 1000);
      f[t + 1] = now;
    }
    const ok = f[t]! >= 1;
    if (ok) f[t]! -= 1;
    Atomics.store(this.i32, lock, 0);
    return ok;
  }

  // --- slot reuse (main thread, once no thread uses the slot) ---

  instanceIdle(slot: number): boolean {
    return this.inflight(slot) === 0;
  }

  serviceIdle(slot: number): boolean {
    return this.held(slot) === 0 && this.serviceCounts(slot).inflight === 0;
  }

  resetInstance(slot: number): void {
    for (let k = 0; k < I_FIELDS; k++) Atomics.store(this.i32, slot * I_FIELDS + k, 0);
    for (let t = 0; t < this.threads; t++) this.f64[ROWS_BASE + t * ROW + slot] = 0;
  }

  resetService(slot: number): void {
    for (let k = 0; k < S_FIELDS; k++) Atomics.store(this.i32, S_BASE + slot * S_FIELDS + k, 0);
    this.f64[2 * slot] = 0;
    this.f64[2 * slot + 1] = 0;
    for (let t = 0; t < this.threads; t++) {
      const i = ROWS_BASE + t * ROW + INSTANCE_SLOTS + 2 * slot;
      this.f64[i] = 0;
      this.f64[i + 1] = 0;
    }
  }

  private incBelow(index: number, limit: number): boolean {
    for (;;) {
      const v = Atomics.load(this.i32, index);
      if (v >= limit) return false;
      if (Atomics.compareExchange(this.i32, index, v, v + 1) === v) return true;
    }
  }

  private bump(slot: number): void {
    const g = slot * I_FIELDS + I_GEN;
    Atomics.add(this.i32, g, 1);
    if (Atomics.load(this.i32, slot * I_FIELDS + I_WAITERS) > 0) Atomics.notify(this.i32, g);
  }
}
