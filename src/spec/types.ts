/**
 * The normalized service spec: EAS field names kept, every default filled in.
 * This is the one model the rest of Pier reads (store, controller, runtime,
 * probes, gateway). Unknown fields the user wrote are kept in place (objects
 * carry them through their index signatures) and reported as warnings.
 */

import type { FieldError } from '../errors.js';

export interface HttpGetAction {
  path: string; // default '/'
  port: number;
  host?: string;
  scheme: 'HTTP' | 'HTTPS'; // default 'HTTP'
  http_headers: { name: string; value: string }[]; // default []
}

export interface TcpSocketAction {
  port: number;
  host?: string;
}

export interface ExecAction {
  command: string[];
}

export interface GrpcAction {
  port: number;
  service?: string;
}

/** A probe as EAS writes it: exactly one handler plus timing fields (all defaulted). */
export interface ProbeSpec {
  http_get?: HttpGetAction;
  tcp_socket?: TcpSocketAction;
  exec?: ExecAction;
  grpc?: GrpcAction;
  initial_delay_seconds: number;
  period_seconds: number;
  timeout_seconds: number;
  success_threshold: number;
  failure_threshold: number;
  termination_grace_period_seconds?: number;
}

export interface EnvVar {
  name: string;
  value: string;
}

export interface PrepareSpec {
  pythonRequirements?: string[];
  pythonRequirementsPath?: string;
}

export interface ContainerSpec {
  image?: string;
  command?: string;
  script?: string;
  port?: number;
  env: EnvVar[];
  prepare?: PrepareSpec;
  health_check?: ProbeSpec;
  liveness_check?: ProbeSpec;
  readiness_check?: ProbeSpec;
  startup_check?: ProbeSpec;
  [unknown: string]: unknown;
}

export type StorageSpec = {
  mount_path: string;
  oss?: { path: string; readOnly: boolean; endpoint?: string };
  nfs?: { server: string; path: string; readOnly: boolean };
  empty_dir?: { medium?: 'memory'; size_limit?: string | number };
  local?: { path: string; readOnly: boolean };
  [unknown: string]: unknown;
};

export interface RollingStrategy {
  /** Integer or percent string such as "25%". Default: 2% of instances, at least 1. */
  max_surge: number | string;
  /** Integer or percent string. Default 0. */
  max_unavailable: number | string;
  min_ready_seconds: number; // default 0
  progress_deadline_seconds: number; // default 600
}

export interface RpcSpec {
  keepalive: number; // ms, default 5000
  worker_threads: number; // default 5
  max_queue_size: number; // default 64
  rate_limit?: number; // requests/s for the whole service
  enable_sigterm: boolean; // default false
  /** Async services: the path instances receive queue items on (default "/"). */
  proxy_path?: string;
  [unknown: string]: unknown;
}

export interface Metadata {
  name: string;
  instance: number; // default 1
  cpu?: number;
  memory?: number; // MB
  gpu: number; // default 0
  enable_grpc: boolean;
  enable_webservice: boolean;
  rolling_strategy: RollingStrategy;
  rpc: RpcSpec;
  eas: { termination_grace_period: number; [unknown: string]: unknown }; // seconds, default 30
  type?: string;
  group?: string;
  /** Kubernetes only: whether pods may (eci) or must (eci_only) run on elastic nodes; default none. */
  burst_resource?: 'none' | 'eci' | 'eci_only';
  [unknown: string]: unknown;
}

export interface ScaleStrategy {
  metricName: 'qps' | 'qps1k' | 'cpu' | 'concurrency' | 'gpu' | 'queue[avgbacklog]';
  threshold: number;
}

export interface AutoscalerSpec {
  min: number;
  max: number;
  scaleStrategies: ScaleStrategy[];
  behavior: {
    scaleUp: { stabilizationWindowSeconds: number }; // default 0
    scaleDown: { stabilizationWindowSeconds: number }; // default 300
    onZero: { scaleDownGracePeriodSeconds: number; scaleUpActivationReplicas: number }; // 600, 1
  };
  [unknown: string]: unknown;
}

export interface CronscalerSpec {
  scaleJobs: { name: string; schedule: string; targetSize: number }[];
  excludeDates?: string[];
}

export interface QueueSideSpec {
  max_length: number; // default 10,000
  max_payload_size_kb: number; // default 8192 (8 MiB)
  auto_evict: boolean; // default false: a full queue refuses puts
}

/** The `queue` block of an async service; defaults filled in. */
export interface QueueSpec {
  source: QueueSideSpec & { max_delivery: number }; // default 5
  sink: QueueSideSpec;
}

export interface ServiceSpec {
  name: string;
  metadata: Metadata;
  containers: ContainerSpec[];
  storage: StorageSpec[];
  /** base64 `user:password`; never printed back (see redactSpec). */
  dockerAuth?: string;
  token?: string;
  autoscaler?: AutoscalerSpec;
  cronscaler?: CronscalerSpec;
  queue?: QueueSpec;
  [unknown: string]: unknown;
}

export interface ValidationResult {
  ok: boolean;
  /** The service name when one could be read, even if the spec is invalid. */
  name?: string;
  errors: FieldError[];
  warnings: FieldError[];
  /** Present when ok. */
  spec?: ServiceSpec;
}
