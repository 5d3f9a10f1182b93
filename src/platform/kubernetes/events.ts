/**
 * Kubernetes Events about a service's Deployment, its ReplicaSets and its pods,
 * as Pier events (FailedScheduling, BackOff, Killing, ScalingReplicaSet…). Pure:
 * the platform passes how to find a service and what it has seen.
 * https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/event-v1/
 */

import type { CoreV1Event } from '@kubernetes/client-node';
import type { PlatformEvent } from '../types.js';

export interface EventLookup {
  /** The service of a pod, by the pod's name. */
  podService(pod: string): string | undefined;
  /** The service of a Deployment, by its (Kubernetes) name. */
  deploymentService(deployment: string): string | undefined;
}

/** Identifies one occurrence: a repeated Event counts up instead of being new. */
export function eventKey(e: CoreV1Event): string {
  return `${e.metadata?.uid}:${e.count ?? e.series?.count ?? 1}`;
}

/**
 * The Pier event for `e`, or undefined when it is about none of Pier's services or
 * happened before `since` (recorded by the Pier that ran then; 1 s of clock skew allowed).
 */
export function platformEvent(e: CoreV1Event, lookup: EventLookup, since: number): PlatformEvent | undefined {
  const { kind, name } = e.involvedObject;
  const at = new Date(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? 0).getTime();
  if (at < since - 1000 || !name) return undefined;
  const service =
    kind === 'Pod'
      ? lookup.podService(name)
      : kind === 'Deployment'
        ? lookup.deploymentService(name)
        : kind === 'ReplicaSet'
          ? // <deployment>-<pod-template-hash>
            lookup.deploymentService(name.slice(0, Math.max(0, name.lastIndexOf('-'))))
          : undefined;
  if (!service) return undefined;
  return {
    service,
    type: e.type === 'Warning' ? 'Warning' : 'Normal',
    reason: e.reason ?? 'Unknown',
    message: `${kind}/${name}: ${e.message ?? ''}`,
    ...(kind === 'Pod' ? { instance: name } : {}),
  };
}
