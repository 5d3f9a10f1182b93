/**
 * Where pods may run: the base node pool, or elastic nodes (virtual-kubelet style
 * nodes such as Alibaba Cloud ECI, tainted so that nothing lands there unasked).
 * `metadata.burst_resource` takes the values of ACK's `alibabacloud.com/burst-resource`
 * (https://www.alibabacloud.com/help/en/ack/serverless-kubernetes/user-guide/use-elastic-container-instance-in-ack-clusters):
 * `none` (default) runs on the base pool only; `eci_only` only on elastic nodes
 * (here: required node affinity and the tolerations); `eci` on the base pool
 * first, and the Kubernetes platform lets a pod that stays unschedulable onto
 * elastic nodes by adding the tolerations to it (burst.ts), as a pending pod's
 * tolerations may only grow.
 */

export interface Toleration {
  key: string;
  operator: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** How Pier recognizes elastic nodes and what lets a pod onto them (pier server flags). */
export interface ElasticNodes {
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
}

/** virtual-kubelet's own label and taint (https://github.com/virtual-kubelet/virtual-kubelet). */
export const DEFAULT_ELASTIC_NODES: ElasticNodes = {
  nodeSelector: { type: 'virtual-kubelet' },
  tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
};

export type BurstMode = 'none' | 'eci' | 'eci_only';

/** What the pod template gets for `mode`: only `eci_only` is decided at creation. */
export function templatePlacement(mode: BurstMode, elastic: ElasticNodes): Record<string, unknown> {
  if (mode !== 'eci_only') return {};
  return {
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: Object.entries(elastic.nodeSelector).map(([key, value]) => ({
                key,
                operator: 'In',
                values: [value],
              })),
            },
          ],
        },
      },
    },
    tolerations: elastic.tolerations,
  };
}

/** Whether a node is elastic: it carries every label of the selector. */
export function isElasticNode(labels: Record<string, string> | undefined, elastic: ElasticNodes): boolean {
  return Object.entries(elastic.nodeSelector).every(([k, v]) => labels?.[k] === v);
}

/** The tolerations a pod lacks to go onto elastic nodes; empty when it has them all. */
export function missingTolerations(have: Toleration[] | undefined, elastic: ElasticNodes): Toleration[] {
  const same = (a: Toleration, b: Toleration) =>
    a.key === b.key &&
    a.operator === b.operator &&
    (a.value ?? '') === (b.value ?? '') &&
    (a.effect ?? '') === (b.effect ?? '');
  return elastic.tolerations.filter((t) => !(have ?? []).some((h) => same(h, t)));
}
