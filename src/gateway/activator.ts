/**
 * Holds requests for a service scaled to zero (Knative's activator): a request
 * that finds no ready instance of a service marked `activate` waits here while
 * instances start, and is sent the moment one is in a snapshot. Bounded: at most
 * `maxQueue` held per service (beyond → 503) and for at most `maxWaitMs` (then
 * 503). `onDemand` tells the control plane at once, so scale-up does not wait
 * for the autoscaler's next tick.
 */

import type { Clock, TimerHandle } from '../clock.js';
import type { EndpointSnapshot, ServiceRoute } from './types.js';

export interface ActivatorOptions {
  clock: Clock;
  /** Called when a request is held for a service with no ready instance. */
  onDemand?: (service: string) => void;
  /** Held requests per service; default 1000. */
  maxQueue?: number;
  /** The longest a request is held; default 600 s (the progress deadline). */
  maxWaitMs?: number;
  /** With gateway workers: the held count per service across every thread. */
  shared?: HeldCounter;
}

/** A count of held requests per service that several threads share (workers/board.ts). */
export interface HeldCounter {
  /** Counts one more unless `max` are held; false when full. */
  tryAdd(service: string, max: number): boolean;
  remove(service: string): void;
  get(service: string): number;
}

export interface HeldRequest {
  /** The service has a ready instance: go on with its fresh route. */
  resume(route: ServiceRoute): void;
  /** Give up with a gateway error. */
  reject(status: number, code: string, message: string): void;
}

interface Waiter {
  held: HeldRequest;
  timer: TimerHandle;
}

export class Activator {
  private readonly waiting = new Map<string, Set<Waiter>>();
  private readonly maxQueue: number;
  private readonly maxWaitMs: number;

  constructor(private readonly opts: ActivatorOptions) {
    this.maxQueue = opts.maxQueue ?? 1000;
    this.maxWaitMs = opts.maxWaitMs ?? 600_000;
  }

  /** Requests held for `service` now (the autoscaler's `pendingRequests`). */
  pending(service: string): number {
    return this.opts.shared ? this.opts.shared.get(service) : (this.waiting.get(service)?.size ?? 0);
  }

  /** Holds a request; returns a function that cancels the hold (client gone). */
  hold(service: string, held: HeldRequest): () => void {
    let set = this.waiting.get(service);
    if (!set) {
      set = new Set();
      this.waiting.set(service, set);
    }
    const shared = this.opts.shared;
    if (shared ? !shared.tryAdd(service, this.maxQueue) : set.size >= this.maxQueue) {
      held.reject(
        503,
        'ACTIVATION_QUEUE_FULL',
        `service "${service}" is starting and ${this.maxQueue} requests already wait for it`,
      );
      return () => {};
    }
    const waiter: Waiter = {
      held,
      timer: this.opts.clock.setTimeout(() => {
        this.remove(service, waiter);
        held.reject(
          503,
          'UNAVAILABLE',
          `no healthy upstream: service "${service}" did not get a ready instance within ${this.maxWaitMs / 1000}s`,
        );
      }, this.maxWaitMs),
    };
    set.add(waiter);
    this.opts.onDemand?.(service);
    return () => this.remove(service, waiter);
  }

  /** A new snapshot: resume every request whose service now has a ready instance. */
  sync(snapshot: EndpointSnapshot): void {
    for (const [service, set] of this.waiting) {
      const route = snapshot.services[service];
      if (route && route.endpoints.length > 0) {
        this.release(service, set, (w) => w.held.resume(route));
      } else if (!route) {
        this.release(service, set, (w) => w.held.reject(404, 'SERVICE_NOT_FOUND', `service "${service}" was deleted`));
      } else if (!route.activate) {
        this.release(service, set, (w) =>
          w.held.reject(
            503,
            'UNAVAILABLE',
            `no healthy upstream for service "${service}" (it no longer scales from zero)`,
          ),
        );
      }
    }
  }

  close(): void {
    for (const [service, set] of this.waiting) {
      this.release(service, set, (w) => w.held.reject(503, 'UNAVAILABLE', 'the gateway is shutting down'));
    }
  }

  private release(service: string, set: Set<Waiter>, each: (w: Waiter) => void): void {
    this.waiting.delete(service);
    for (const w of set) {
      this.opts.clock.clearTimeout(w.timer);
      this.opts.shared?.remove(service);
      each(w);
    }
  }

  private remove(service: string, waiter: Waiter): void {
    this.opts.clock.clearTimeout(waiter.timer);
    const set = this.waiting.get(service);
    if (set?.delete(waiter)) this.opts.shared?.remove(service);
    if (set?.size === 0) this.waiting.delete(service);
  }
}
