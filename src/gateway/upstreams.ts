import { Client, type Dispatcher, Pool } from 'undici';
import type { Clock } from '../clock.js';
import type { Endpoint, EndpointSnapshot, InstanceStats } from './types.js';
import type { Board } from './workers/board.js';

/**
 * Per-instance state: the keep-alive connection pool (undici `Pool`), the `worker_threads`
 * concurrency slots with their `max_queue_size` queue, passive health, and the
 * in-flight count that graceful drain waits on. A pool is closed once its
 * endpoint has left the snapshot and its last request has finished.
 *
 * With several gateway threads (`--gateway-workers`), the counts that decide
 * (slots taken, queued, tunnels) also live on the shared board (workers/board.ts),
 * so `worker_threads` and `max_queue_size` hold across threads; the local counts
 * remain for this thread's own pool and queue.
 */

export interface Waiter {
  grant(): void;
}

/**
 * Marks the connection an upstream call was written on, so a failure can tell a
 * reused keep-alive socket (the instance may have closed it while idle: safe to
 * retry) from a fresh one (the instance saw the request).
 */
export interface ConnectionAware {
  connection: InstanceClient | undefined;
}

/** One upstream connection (pipelining 1); `served` counts answers on its current socket. */
export class InstanceClient extends Client {
  served = 0;

  constructor(origin: URL | string, opts: Client.Options) {
    super(origin, opts);
    this.on('connect', () => {
      this.served = 0;
    });
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    (handler as Partial<ConnectionAware>).connection = this;
    return super.dispatch(opts, handler);
  }
}

export interface InstanceState {
  readonly id: string;
  readonly service: string;
  endpoint: Endpoint;
  pool: Pool;
  /** Requests holding a worker slot. */
  active: number;
  queue: Waiter[];
  /** WebSocket tunnels (counted in flight, not against worker slots). */
  tunnels: number;
  requests: number;
  downUntil: number;
  removed: boolean;
  idleWaiters: (() => void)[];
  /** The instance's slot on the shared board; -1 when this thread counts alone. */
  slot: number;
  /** The service's `worker_threads` at the last acquire (for grants from the board). */
  workers: number;
  /** A wait on the board for a freed slot is running (queued requests here). */
  watching: boolean;
}

export type Acquire = 'run' | 'queued' | 'full';

export class Upstreams {
  private readonly states = new Map<string, InstanceState>();

  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly maxSockets: number,
    private readonly board?: Board,
  ) {}

  sync(snapshot: EndpointSnapshot): void {
    const seen = new Set<string>();
    for (const svc of Object.values(snapshot.services)) {
      for (const ep of svc.endpoints) {
        seen.add(ep.instanceId);
        const state = this.states.get(ep.instanceId);
        if (!state) this.states.set(ep.instanceId, this.create(svc.name, ep));
        else {
          state.removed = false;
          if (state.endpoint.host !== ep.host || state.endpoint.port !== ep.port) {
            destroy(state.pool);
            state.pool = this.pool(ep);
          }
          state.endpoint = ep;
        }
      }
    }
    for (const state of this.states.values()) {
      if (!seen.has(state.id)) {
        state.removed = true;
        this.maybeDispose(state);
      }
    }
  }

  /** The state for a ready endpoint (created if a snapshot raced ahead of sync). */
  state(service: string, ep: Endpoint): InstanceState {
    let state = this.states.get(ep.instanceId);
    if (!state) {
      state = this.create(service, ep);
      this.states.set(ep.instanceId, state);
    }
    return state;
  }

  get(instanceId: string): InstanceState | undefined {
    return this.states.get(instanceId);
  }

  inflight(instanceId: string): number {
    const s = this.states.get(instanceId);
    if (!s) return 0;
    if (s.slot >= 0) return this.board!.inflight(s.slot);
    return s.active + s.queue.length + s.tunnels;
  }

  /** Requests at the instance now (holding a worker slot, in any thread), not those queued for one. */
  running(state: InstanceState): number {
    return state.slot >= 0 ? this.board!.running(state.slot) : state.active;
  }

  isFull(state: InstanceState, workers: number, maxQueue: number): boolean {
    if (state.slot >= 0) return this.board!.isFull(state.slot, workers, maxQueue);
    return state.active >= workers && state.queue.length >= maxQueue;
  }

  acquire(state: InstanceState, workers: number, maxQueue: number, waiter: Waiter): Acquire {
    if (state.slot >= 0) return this.acquireShared(state, Math.max(1, workers), maxQueue, waiter);
    state.requests++;
    if (state.active < Math.max(1, workers)) {
      state.active++;
      return 'run';
    }
    if (state.queue.length < maxQueue) {
      state.queue.push(waiter);
      return 'queued';
    }
    state.requests--;
    return 'full';
  }

  /** Removes a waiter that gave up (timeout, client gone). */
  cancel(state: InstanceState, waiter: Waiter): void {
    const i = state.queue.indexOf(waiter);
    if (i !== -1) {
      state.queue.splice(i, 1);
      if (state.slot >= 0) this.board!.unqueue(state.slot);
    }
    this.maybeIdle(state);
  }

  release(state: InstanceState): void {
    state.active--;
    const next = state.queue.shift();
    if (next) {
      state.active++;
      if (state.slot >= 0) this.board!.handOver(state.slot);
      next.grant();
    } else if (state.slot >= 0) this.board!.release(state.slot);
    this.maybeIdle(state);
  }

  openTunnel(state: InstanceState): void {
    state.requests++;
    state.tunnels++;
    if (state.slot >= 0) {
      this.board!.addInstanceRequests(state.slot, 1);
      this.board!.tunnel(state.slot, 1);
    }
  }

  closeTunnel(state: InstanceState): void {
    state.tunnels--;
    if (state.slot >= 0) this.board!.tunnel(state.slot, -1);
    this.maybeIdle(state);
  }

  markDown(state: InstanceState, forMs: number): void {
    state.downUntil = this.clock.now() + forMs;
  }

  isDown(state: InstanceState): boolean {
    return state.downUntil > this.clock.now();
  }

  waitForIdle(instanceId: string, timeoutMs: number): Promise<boolean> {
    const state = this.states.get(instanceId);
    if (!state || this.inflight(instanceId) === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (idle: boolean) => {
        this.clock.clearTimeout(timer);
        const i = state.idleWaiters.indexOf(onIdle);
        if (i !== -1) state.idleWaiters.splice(i, 1);
        resolve(idle);
      };
      const onIdle = () => done(true);
      const timer = this.clock.setTimeout(() => done(false), timeoutMs);
      state.idleWaiters.push(onIdle);
    });
  }

  /** Requests waiting in instances' queues, per service (those with none are left out). */
  queuedByService(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.states.values()) {
      if (s.queue.length > 0) out[s.service] = (out[s.service] ?? 0) + s.queue.length;
    }
    return out;
  }

  instanceStats(): Map<string, InstanceStats & { service: string }> {
    const out = new Map<string, InstanceStats & { service: string }>();
    for (const s of this.states.values()) {
      out.set(s.id, { service: s.service, requests: s.requests, inflight: s.active + s.queue.length + s.tunnels });
    }
    return out;
  }

  close(): void {
    this.closed = true;
    for (const s of this.states.values()) destroy(s.pool);
    this.states.clear();
  }

  private acquireShared(state: InstanceState, workers: number, maxQueue: number, waiter: Waiter): Acquire {
    const board = this.board!;
    state.workers = workers;
    if (board.tryRun(state.slot, workers)) {
      state.requests++;
      board.addInstanceRequests(state.slot, 1);
      state.active++;
      return 'run';
    }
    if (!board.tryQueue(state.slot, maxQueue)) return 'full';
    state.requests++;
    board.addInstanceRequests(state.slot, 1);
    state.queue.push(waiter);
    if (!state.watching) void this.watch(state);
    return 'queued';
  }

  /**
   * While this thread has queued requests for the instance, takes slots that any
   * thread frees: waits on the board's generation (bumped by every release) with a
   * bounded wait, so a missed wake-up costs at most that long.
   */
  private async watch(state: InstanceState): Promise<void> {
    const board = this.board!;
    state.watching = true;
    try {
      while (state.queue.length > 0 && !this.closed) {
        const seen = board.generation(state.slot);
        while (state.queue.length > 0 && board.grantQueued(state.slot, state.workers)) {
          state.active++;
          state.queue.shift()!.grant();
        }
        if (state.queue.length === 0) break;
        await board.waitChange(state.slot, seen, 1000);
      }
    } finally {
      state.watching = false;
    }
  }

  private maybeIdle(state: InstanceState): void {
    if (state.active + state.queue.length + state.tunnels !== 0) return;
    for (const fn of state.idleWaiters.splice(0)) fn();
    this.maybeDispose(state);
  }

  private maybeDispose(state: InstanceState): void {
    if (!state.removed || state.active + state.queue.length + state.tunnels !== 0) return;
    destroy(state.pool);
    this.states.delete(state.id);
  }

  private create(service: string, endpoint: Endpoint): InstanceState {
    return {
      id: endpoint.instanceId,
      service,
      endpoint,
      pool: this.pool(endpoint),
      active: 0,
      queue: [],
      tunnels: 0,
      requests: 0,
      downUntil: 0,
      removed: false,
      idleWaiters: [],
      slot: this.board?.instanceSlot(endpoint.instanceId) ?? -1,
      workers: 1,
      watching: false,
    };
  }

  private pool(ep: Endpoint): Pool {
    // No headers/body timeouts: rpc.keepalive bounds the wait for an answer and a
    // started stream is never cut. Idle sockets follow the instance's Keep-Alive
    // hint; one the instance closed meanwhile fails on reuse and is retried.
    return new Pool(`http://${ep.host.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port}`, {
      connections: this.maxSockets,
      pipelining: 1,
      headersTimeout: 0,
      bodyTimeout: 0,
      factory: (origin, opts) => new InstanceClient(origin, opts as Client.Options),
    });
  }
}

function destroy(pool: Pool): void {
  pool.destroy().catch(() => {});
}
