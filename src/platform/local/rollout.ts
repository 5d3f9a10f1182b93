/**
 * One step of a rolling update, as the Deployment controller takes it
 * (kubernetes pkg/controller/deployment/rolling.go;
 * https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#rolling-update-deployment):
 * scale the new revision up within the surge,
 * then take old instances away only as far as availability allows. Scaling a
 * service without a revision change is the same step with no old instances.
 */

export interface RolloutInstance {
  id: string;
  revision: number;
  /** Not started yet (no process) or waiting in back-off. */
  scheduled: boolean;
  ready: boolean;
  /** Ready continuously for min_ready_seconds. */
  available: boolean;
  /** When it last became ready (for "most recently ready goes first"). */
  readySince?: number;
  createdAt: number;
}

export interface RolloutSnapshot {
  desired: number;
  /** The revision instances should run. */
  revision: number;
  /** Instances that are not terminating. */
  instances: RolloutInstance[];
  maxSurge: number;
  maxUnavailable: number;
}

export type RolloutStep =
  | { kind: 'create'; count: number; revision: number }
  | { kind: 'remove'; ids: string[]; reason: 'scale-down' | 'unhealthy-old' | 'replaced' }
  | { kind: 'none'; complete: boolean };

export function planRolloutStep(s: RolloutSnapshot): RolloutStep {
  const current = s.instances.filter((i) => i.revision === s.revision);
  const old = s.instances.filter((i) => i.revision !== s.revision);
  const total = s.instances.length;

  // 1. The new revision up (or down to the desired count).
  if (current.length < s.desired) {
    const allowed = s.desired + s.maxSurge;
    if (total < allowed) {
      return { kind: 'create', count: Math.min(allowed - total, s.desired - current.length), revision: s.revision };
    }
  } else if (current.length > s.desired) {
    const ids = removalOrder(current)
      .slice(0, current.length - s.desired)
      .map((i) => i.id);
    return { kind: 'remove', ids, reason: 'scale-down' };
  }

  // 2. Old instances down, as far as availability allows.
  if (old.length > 0) {
    const minAvailable = s.desired - s.maxUnavailable;
    const newUnavailable = current.filter((i) => !i.available).length;
    let budget = total - minAvailable - newUnavailable;
    if (budget <= 0) return { kind: 'none', complete: false };
    const byAge = [...old].sort((a, b) => a.revision - b.revision || a.createdAt - b.createdAt);
    const unhealthy = removalOrder(byAge.filter((i) => !i.available)).slice(0, budget);
    if (unhealthy.length > 0) return { kind: 'remove', ids: unhealthy.map((i) => i.id), reason: 'unhealthy-old' };
    const available = s.instances.filter((i) => i.available).length;
    const excess = Math.min(budget, available - minAvailable);
    budget = excess;
    if (budget > 0) {
      const ids = removalOrder(byAge.filter((i) => i.available))
        .slice(0, budget)
        .map((i) => i.id);
      return { kind: 'remove', ids, reason: 'replaced' };
    }
    return { kind: 'none', complete: false };
  }

  const complete = current.length === s.desired && current.every((i) => i.available);
  return { kind: 'none', complete };
}

/**
 * Which instances go first (the Deployment controller's pod ranking): not yet
 * scheduled, then not ready, then not yet available, then the most recently
 * ready; ties: newest first.
 */
export function removalOrder(instances: RolloutInstance[]): RolloutInstance[] {
  const rank = (i: RolloutInstance) => (!i.scheduled ? 0 : !i.ready ? 1 : !i.available ? 2 : 3);
  return [...instances].sort(
    (a, b) => rank(a) - rank(b) || (b.readySince ?? 0) - (a.readySince ?? 0) || b.createdAt - a.createdAt,
  );
}
