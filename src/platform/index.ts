export type * from './types.js';
export type * from './plan/types.js';
export { containerEnvPlan, makeInstancePlan, resolveEnv, servingOf } from './plan/index.js';
export { backoffOnExit, type BackoffEntry } from './local/backoff.js';
export type { CreateProber, InstanceProberHandle } from './local/instance.js';
export { LocalPlatform, type LocalPlatformDeps } from './local/platform.js';
export { type LocalInstanceRecord, type LocalRecords, openLocalRecords } from './local/records.js';
export {
  planRolloutStep,
  removalOrder,
  type RolloutInstance,
  type RolloutSnapshot,
  type RolloutStep,
} from './local/rollout.js';
export { createLocalRuntimes, type LocalRuntimesOptions } from './local/runtimes.js';
export type {
  ElasticNodes,
  KubeClient,
  KubeObject,
  KubernetesPlatform,
  KubernetesPlatformDeps,
} from './kubernetes/index.js';
/** The Kubernetes platform, loaded on demand: its client library takes most of a second to load. */
export const loadKubernetes = () => import('./kubernetes/index.js');
