/**
 * The neutral description of what one instance of a revision runs: made once by
 * `makeInstancePlan` from the normalized spec, then read by every local runtime and
 * (later) the Kubernetes translator, so none of them works the spec out again.
 * Field names follow the Kubernetes Pod API where one exists
 * (https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/).
 */

import type { PrepareSpec } from '../../spec/index.js';

/**
 * An environment variable. `valueFrom` is filled per instance: `instance-id` is the
 * instance's id (a pod's `metadata.name`); `port` is the port the container serves
 * on as the platform runs it (the container port, or the host port the process
 * runtime chose).
 */
export type PlanEnvVar = { name: string; value: string } | { name: string; valueFrom: 'instance-id' | 'port' };

export type ProbeHandlerPlan =
  | {
      httpGet: {
        path: string;
        port: number;
        host?: string;
        scheme: 'HTTP' | 'HTTPS';
        httpHeaders: { name: string; value: string }[];
      };
    }
  | { tcpSocket: { port: number; host?: string } }
  | { exec: { command: string[] } }
  | { grpc: { port: number; service?: string } };

/** A probe with the kubelet's field names (core/v1 Probe). */
export type ProbePlan = ProbeHandlerPlan & {
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
  terminationGracePeriodSeconds?: number;
};

export interface ContainerPlan {
  /** `serving` for the container with the port, else `sidecar-<index>`. */
  name: string;
  /** Its index in `spec.containers` (paths in messages: `containers[<index>]`). */
  index: number;
  role: 'serving' | 'sidecar';
  image?: string;
  /** A command line as the spec wrote it (runtimes split it, substituting `${PORT}`). */
  command?: string;
  script?: string;
  /** The port the container listens on (serving container only). */
  port?: number;
  /** The spec's env, then Pier's documented variables (see docs/design.md). */
  env: PlanEnvVar[];
  prepare?: PrepareSpec;
  /** Readiness is always present: EAS's default is a TCP connect to the serving port. */
  probes: { readiness?: ProbePlan; liveness?: ProbePlan; startup?: ProbePlan };
}

export type MountSource =
  | { kind: 'local'; path: string; readOnly: boolean }
  | { kind: 'empty_dir'; medium?: 'memory'; sizeLimit?: string | number }
  | { kind: 'oss'; path: string; readOnly: boolean; endpoint?: string }
  | { kind: 'nfs'; server: string; path: string; readOnly: boolean };

export interface MountPlan {
  /** Its index in `spec.storage` (`PIER_MOUNT_<index>` on the process runtime). */
  index: number;
  mountPath: string;
  source: MountSource;
}

export interface ResourcePlan {
  /** Cores (EAS metadata.cpu), when given. */
  cpu?: number;
  /** MB (EAS metadata.memory), when given: a limit. */
  memoryMb?: number;
  /** Whole GPUs (EAS metadata.gpu); 0 for none. */
  gpu: number;
}

export interface RolloutPlan {
  /** As written: a count or a percent string ("25%"), resolved against the desired count. */
  maxSurge: number | string;
  maxUnavailable: number | string;
  minReadySeconds: number;
  progressDeadlineSeconds: number;
}

export interface InstancePlan {
  service: string;
  revision: number;
  /** In spec order; exactly one has role `serving` (see `servingOf`). */
  containers: ContainerPlan[];
  mounts: MountPlan[];
  resources: ResourcePlan;
  terminationGracePeriodSeconds: number;
  rollout: RolloutPlan;
  /** base64 `user:password` for image pulls, when the spec has one. */
  dockerAuth?: string;
}

/** What a platform adds to every plan; empty locally. */
export interface PlanConfig {
  /** Image for containers that give only `command`/`script` (the Kubernetes platform needs one). */
  defaultImage?: string;
}
