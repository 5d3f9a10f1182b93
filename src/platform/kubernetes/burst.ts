/**
 * Bursting onto elastic nodes (translate/placement.ts): which pods of a service
 * to let onto elastic nodes now, and which to mark cheap to delete. Pure; the
 * platform patches the pods. A pod of an `eci` service that the scheduler could
 * not place (PodScheduled=False, Unschedulable: the base pool is full) gets the
 * elastic tolerations; a pod running on an elastic node gets a negative
 * `controller.kubernetes.io/pod-deletion-cost`, so that a scale-in removes
 * elastic pods first (https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#pod-deletion-cost).
 */

import type { V1Pod } from '@kubernetes/client-node';
import { type BurstMode, type ElasticNodes, missingTolerations, type Toleration } from './translate/index.js';

export const DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';
/** Below the default 0 of pods on the base pool. */
export const ELASTIC_DELETION_COST = '-100';

export type BurstAction =
  | { kind: 'tolerate'; pod: string; tolerations: Toleration[] }
  | { kind: 'deletion-cost'; pod: string };

export function burstActions(
  pods: V1Pod[],
  mode: BurstMode,
  elastic: ElasticNodes,
  elasticNodes: ReadonlySet<string>,
): BurstAction[] {
  if (mode === 'none') return [];
  const out: BurstAction[] = [];
  for (const pod of pods) {
    const name = pod.metadata?.name;
    if (!name || pod.metadata?.deletionTimestamp) continue;
    const node = pod.spec?.nodeName;
    if (node && elasticNodes.has(node)) {
      if (pod.metadata?.annotations?.[DELETION_COST] !== ELASTIC_DELETION_COST)
        out.push({ kind: 'deletion-cost', pod: name });
      continue;
    }
    if (mode !== 'eci' || node) continue;
    const scheduled = (pod.status?.conditions ?? []).find((c) => c.type === 'PodScheduled');
    if (scheduled?.status !== 'False' || scheduled.reason !== 'Unschedulable') continue;
    const missing = missingTolerations(pod.spec?.tolerations as Toleration[] | undefined, elastic);
    if (missing.length > 0) {
      out.push({
        kind: 'tolerate',
        pod: name,
        tolerations: [...((pod.spec?.tolerations ?? []) as Toleration[]), ...missing],
      });
    }
  }
  return out;
}
