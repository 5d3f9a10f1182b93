/**
 * CrashLoopBackOff as the kubelet does it (pkg/kubelet/kuberuntime/kuberuntime_manager.go
 * doBackOff with client-go util/flowcontrol/backoff.go;
 * https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-restarts):
 * waits 0, 10, 20, 40, 80, 160, 300, 300… seconds; an instance that ran longer
 * than twice the cap since the last back-off update starts again from the top.
 */

export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_CAP_MS = 300_000;
const RESET_AFTER_MS = 2 * BACKOFF_CAP_MS;

export interface BackoffEntry {
  /** The wait the next exit will get. */
  delayMs: number;
  /** When the back-off was last updated (the planned restart time). */
  updatedAt: number;
}

export interface BackoffDecision {
  /** How long to wait before restarting, counted from `finishedAt`. */
  waitMs: number;
  entry: BackoffEntry;
}

export function backoffOnExit(entry: BackoffEntry | undefined, finishedAt: number): BackoffDecision {
  if (!entry || finishedAt - entry.updatedAt > RESET_AFTER_MS) {
    return { waitMs: 0, entry: { delayMs: BACKOFF_INITIAL_MS, updatedAt: finishedAt } };
  }
  const waitMs = entry.delayMs;
  return {
    waitMs,
    entry: { delayMs: Math.min(entry.delayMs * 2, BACKOFF_CAP_MS), updatedAt: finishedAt + waitMs },
  };
}
