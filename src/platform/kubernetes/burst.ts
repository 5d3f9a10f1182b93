/**
 * Bursting onto elastic nodes (translate/placement.ts): which pods of a service
 * to let onto elastic nodes now, and which to mark cheap to delete. Pure; the
 * platform patches the pods. A pod of an `eci` service that the scheduler could
 * not place (PodScheduled=False, Unschedulable: the base pool is full) gets the
 * elastic tolerations; a pod running on an elastic node gets a negative
 * `controller.kubernetes.io/pod-deletion-cost`, so that a scale-in removes
 * elastic pods first (https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#pod-deletion-cost).
 */

import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { PlatformEvent } from '../types.js';
import { apiMessage, type KubeClient, statusCode } from './client.js';
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

/** Patches the pods `burstActions` names, each once at a time. */
export class BurstPatcher {
  /** Pods with a patch in flight. */
  private readonly patching = new Set<string>();

  constructor(
    private readonly client: KubeClient,
    private readonly logger: Logger,
    private readonly event: (e: PlatformEvent) => void,
  ) {}

  carryOut(service: string, actions: BurstAction[]): void {
    for (const action of actions) {
      if (this.patching.has(action.pod)) continue;
      this.patching.add(action.pod);
      const body =
        action.kind === 'tolerate'
          ? { spec: { tolerations: action.tolerations } }
          : { metadata: { annotations: { [DELETION_COST]: ELASTIC_DELETION_COST } } };
      if (action.kind === 'tolerate') {
        this.event({
          service,
          type: 'Normal',
          reason: 'BurstToElastic',
          message: `pod ${action.pod} does not fit the base node pool; letting it onto elastic nodes`,
          instance: action.pod,
        });
      }
      this.client.core
        .patchNamespacedPod(
          { name: action.pod, namespace: this.client.namespace, body },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        )
        .catch((err) => {
          if (statusCode(err) !== 404)
            this.logger.warn({ pod: action.pod, err: apiMessage(err) }, 'burst patch failed');
        })
        .finally(() => this.patching.delete(action.pod));
    }
  }
}
