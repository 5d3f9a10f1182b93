/**
 * What Pier reads back from the cluster, as pure functions over API objects: a
 * pod becomes an instance view, EndpointSlices become the gateway's endpoints, a
 * Deployment's status becomes a rollout state. The platform (platform.ts) keeps
 * the watched objects; these functions only look at them.
 */

import type { V1Deployment, V1EndpointSlice, V1Pod } from '@kubernetes/client-node';
import type { Endpoint } from '../../gateway/index.js';
import type { InstanceView } from '../types.js';
import { ANNOTATIONS, LABELS } from './translate/index.js';

/** The Deployment annotation holding the revision its template runs (the current one). */
export const REVISION_ANNOTATION = ANNOTATIONS.revision;
/** Set on a Deployment Pier paused: the revision whose rollout failed. */
export const PAUSED_ANNOTATION = 'pier.dev/paused-revision';
/** Changed on the pod template by `restart`, as `kubectl rollout restart` does. */
export const RESTARTED_ANNOTATION = 'pier.dev/restartedAt';

const ms = (t: Date | string | undefined): number | null => (t === undefined ? null : new Date(t).getTime());

/**
 * The revision a pod runs. A pod of the template the Deployment has now runs its
 * current revision, even when the template label still names an older equivalent
 * one (translate keeps the label so that an equivalent revision rolls nothing).
 */
export function podRevision(pod: V1Pod, deployment: V1Deployment | undefined): number {
  const label = Number(pod.metadata?.labels?.[LABELS.revision] ?? 0);
  const templateLabel = deployment?.spec?.template?.metadata?.labels?.[LABELS.revision];
  const current = Number(deployment?.metadata?.annotations?.[REVISION_ANNOTATION] ?? Number.NaN);
  const sameTemplate =
    templateLabel !== undefined &&
    Number(templateLabel) === label &&
    (pod.metadata?.annotations?.[RESTARTED_ANNOTATION] ?? '') ===
      (deployment?.spec?.template?.metadata?.annotations?.[RESTARTED_ANNOTATION] ?? '');
  return sameTemplate && Number.isFinite(current) ? current : label;
}

/**
 * A pod as an instance: its phase, the serving container's state and restarts,
 * readiness from the Ready condition, and the last termination. Kubernetes reports
 * no per-probe results, so `probes` stays empty; the reason and message say why a
 * pod is not running (Unschedulable, ImagePullBackOff, CrashLoopBackOff).
 * https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/
 */
export function podInstance(
  pod: V1Pod,
  service: string,
  revision: number,
  servingPort: number | undefined,
  replacing: boolean,
): InstanceView {
  const status = pod.status ?? {};
  const containers = status.containerStatuses ?? [];
  const serving = containers.find((c) => c.name === 'serving') ?? containers[0];
  const ready = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const terminating = pod.metadata?.deletionTimestamp !== undefined;
  const waiting = serving?.state?.waiting;
  const scheduled = (status.conditions ?? []).find((c) => c.type === 'PodScheduled');
  const last = serving?.lastState?.terminated;
  let state: InstanceView['state'];
  if (terminating) state = 'Terminating';
  else if (waiting?.reason === 'CrashLoopBackOff') state = 'CrashLoopBackOff';
  else if (status.phase === 'Failed') state = 'Failed';
  else if (status.phase === 'Running') state = ready ? 'Running' : 'Starting';
  else state = 'Pending';
  const why =
    waiting?.reason !== undefined
      ? { reason: waiting.reason, message: waiting.message }
      : scheduled?.status === 'False'
        ? { reason: scheduled.reason, message: scheduled.message }
        : { reason: status.reason, message: status.message };
  return {
    id: pod.metadata?.name ?? '',
    service,
    revision,
    state,
    ready: ready && !terminating,
    restarts: containers.reduce((n, c) => n + (c.restartCount ?? 0), 0),
    address: status.podIP && servingPort !== undefined ? `${status.podIP}:${servingPort}` : null,
    startedAt: ms(status.startTime),
    ...(why.reason ? { reason: why.reason } : {}),
    ...(why.message ? { message: why.message } : {}),
    ...(last
      ? {
          lastState: {
            exitCode: last.exitCode ?? null,
            signal: last.signal !== undefined ? String(last.signal) : null,
            reason: exitReason(last.reason),
            message: last.message ?? '',
            finishedAt: ms(last.finishedAt) ?? 0,
          },
        }
      : {}),
    probes: {},
    platform: { kind: 'kubernetes', ...(pod.spec?.nodeName ? { node: pod.spec.nodeName } : {}) },
    terminating,
    replacing,
  };
}

function exitReason(reason: string | undefined): NonNullable<InstanceView['lastState']>['reason'] {
  if (reason === 'OOMKilled' || reason === 'Completed' || reason === 'Error') return reason;
  if (reason === 'ContainerCannotRun' || reason === 'StartError') return 'StartError';
  return 'Error';
}

/**
 * The gateway's endpoints from a Service's EndpointSlices: ready and not
 * terminating, as kube-proxy takes them (ready implies serving and not
 * terminating; a nil ready counts as ready).
 * https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#conditions
 */
export function sliceEndpoints(
  slices: V1EndpointSlice[],
  revisionOf: (podName: string) => number | undefined,
): Endpoint[] {
  const out = new Map<string, Endpoint>();
  for (const slice of slices) {
    if (slice.addressType === 'FQDN') continue;
    const port = (slice.ports ?? []).find((p) => p.name === 'http') ?? slice.ports?.[0];
    if (port?.port === undefined) continue;
    for (const ep of slice.endpoints ?? []) {
      const c = ep.conditions ?? {};
      if (c.ready === false || c.terminating === true) continue;
      const name = ep.targetRef?.kind === 'Pod' ? ep.targetRef.name : undefined;
      const host = ep.addresses[0];
      if (!name || !host) continue;
      const revision = revisionOf(name);
      if (revision === undefined) continue; // a pod not seen yet: its revision (and hence its route) is unknown
      out.set(name, { instanceId: name, host, port: port.port, revision });
    }
  }
  return [...out.values()].sort((a, b) => a.instanceId.localeCompare(b.instanceId));
}

/** A Deployment's rollout as `kubectl rollout status` reads it. */
export interface RolloutState {
  /** The controller has seen the latest spec. */
  observed: boolean;
  /** Every replica runs the latest template and is available. */
  complete: boolean;
  /** Progressing=False with reason ProgressDeadlineExceeded. */
  deadlineExceeded: boolean;
  paused: boolean;
  replicas: number;
  updated: number;
  available: number;
}

/**
 * https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#deployment-status
 * (the same checks as kubectl's rollout status viewer).
 */
export function rolloutState(d: V1Deployment): RolloutState {
  const status = d.status ?? {};
  const desired = d.spec?.replicas ?? 1;
  const observed = (status.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
  const updated = status.updatedReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const progressing = (status.conditions ?? []).find((c) => c.type === 'Progressing');
  return {
    observed,
    complete: observed && updated === desired && (status.replicas ?? 0) === updated && available === updated,
    deadlineExceeded: progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded',
    paused: d.spec?.paused === true,
    replicas: status.replicas ?? 0,
    updated,
    available,
  };
}

/**
 * Whether the Deployment of revision `current` stays paused, is to be paused now
 * (its rollout is past its progress deadline), or runs. Only a status of this very
 * spec counts: right after a rollback the controller has not seen the new template
 * yet, and the old revision's ProgressDeadlineExceeded still shows.
 * https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#failed-deployment
 */
export function pauseDecision(d: V1Deployment | undefined, current: number): 'paused' | 'pause' | 'run' {
  const annotations = d?.metadata?.annotations ?? {};
  if (annotations[PAUSED_ANNOTATION] === String(current)) return 'paused';
  if (!d || annotations[REVISION_ANNOTATION] !== String(current)) return 'run';
  const rollout = rolloutState(d);
  return rollout.observed && rollout.deadlineExceeded && !rollout.complete ? 'pause' : 'run';
}
