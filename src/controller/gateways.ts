/**
 * The remote gateways (`pier gateway --control URL`) that follow the endpoint
 * watch, and what each one last acknowledged: the snapshot version it applied
 * and the requests it still has in flight to instances it no longer routes to.
 * An instance's drain waits here before SIGTERM, so a remote gateway's slow
 * requests finish like the in-process gateway's do.
 */

import type { EndpointAck } from '../api/index.js';
import type { Clock, TimerHandle } from '../clock.js';

export interface RemoteGatewayState {
  id: string;
  /** Open watch streams under this id (a reconnect may open the new one before the old one closes). */
  watches: number;
  /** Last acknowledged snapshot version; undefined until the first ack. */
  version?: number;
  /** In-flight requests to instances the gateway stopped routing to; absent means 0. */
  inflight: Record<string, number>;
  connectedAt: number;
  ackedAt?: number;
}

/**
 * The gateways that have not yet confirmed the drain of `instanceId`: each must
 * have applied a snapshot at least as new as `version` (the first without the
 * instance) and report nothing in flight to it.
 */
export function remoteDrainPending(
  gateways: readonly RemoteGatewayState[],
  instanceId: string,
  version: number,
): string[] {
  return gateways
    .filter((g) => g.version === undefined || g.version < version || (g.inflight[instanceId] ?? 0) > 0)
    .map((g) => g.id);
}

export function remoteDrainDone(gateways: readonly RemoteGatewayState[], instanceId: string, version: number): boolean {
  return remoteDrainPending(gateways, instanceId, version).length === 0;
}

export interface GatewayRegistryDeps {
  clock: Clock;
}

export class GatewayRegistry {
  private readonly gateways = new Map<string, RemoteGatewayState>();
  /** Re-checked on every open, close and ack. */
  private readonly waiters = new Set<() => void>();

  constructor(private readonly deps: GatewayRegistryDeps) {}

  opened(id: string): void {
    const g = this.gateways.get(id);
    if (g) g.watches++;
    else this.gateways.set(id, { id, watches: 1, inflight: {}, connectedAt: this.deps.clock.now() });
    this.changed();
  }

  closed(id: string): void {
    const g = this.gateways.get(id);
    if (!g) return;
    g.watches--;
    if (g.watches <= 0) this.gateways.delete(id);
    this.changed();
  }

  /** Records an ack; false (and nothing recorded) for a gateway that is not watching. */
  ack(ack: EndpointAck): boolean {
    const g = this.gateways.get(ack.gateway);
    if (!g) return false;
    g.version = ack.version;
    g.inflight = { ...ack.inflight };
    g.ackedAt = this.deps.clock.now();
    this.changed();
    return true;
  }

  /** A copy of every connected gateway's state. */
  snapshot(): RemoteGatewayState[] {
    return [...this.gateways.values()].map((g) => ({ ...g, inflight: { ...g.inflight } }));
  }

  /** The gateways the drain of `instanceId` still waits for. */
  pending(instanceId: string, version: number): string[] {
    return remoteDrainPending([...this.gateways.values()], instanceId, version);
  }

  /**
   * Resolves true once every connected remote gateway has acknowledged `version`
   * (or newer) with nothing in flight to `instanceId` — a gateway that
   * disconnects is no longer waited for — or false after `timeoutMs`.
   */
  drainRemote(instanceId: string, version: number, timeoutMs: number): Promise<boolean> {
    if (this.pending(instanceId, version).length === 0) return Promise.resolve(true);
    const { clock } = this.deps;
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      const finish = (done: boolean) => {
        clock.clearTimeout(timer);
        this.waiters.delete(check);
        resolve(done);
      };
      const check = () => {
        if (this.pending(instanceId, version).length === 0) finish(true);
      };
      timer = clock.setTimeout(() => finish(false), Math.max(0, timeoutMs));
      this.waiters.add(check);
    });
  }

  private changed(): void {
    for (const check of [...this.waiters]) check();
  }
}
