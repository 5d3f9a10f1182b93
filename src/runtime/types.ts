/**
 * How one instance is started on the local platform. A runtime knows nothing of
 * probes, restarts or services' desired counts: it starts, reports exit, stops.
 */

import type { InstancePlan } from '../platform/plan/index.js';
import type { ServiceSpec } from '../spec/index.js';

export type TerminationReason = 'Completed' | 'Error' | 'OOMKilled' | 'Killed' | 'StartError';

/** What an instance ended with (Kubernetes' `lastState.terminated`). */
export interface ExitInfo {
  exitCode: number | null;
  signal: string | null;
  reason: TerminationReason;
  /** e.g. "spawn python9: ENOENT", "memory 612 MB over the 512 MB limit". */
  message: string;
  finishedAt: number; // ms epoch
}

export interface StartRequest {
  service: string;
  revision: number;
  instanceId: string;
  spec: ServiceSpec;
  /**
   * What the instance runs (env, resources, grace), made by makeInstancePlan; the
   * runtime reads these from it. Absent (older callers, tests): made from `spec`.
   */
  plan?: InstancePlan;
  /** Directory for this instance's log file(s); created by the runtime if missing. */
  logDir: string;
  /** Working directory for the process; created by the runtime if missing. */
  workDir: string;
  /** Extra environment (e.g. CUDA_VISIBLE_DEVICES, venv PATH) merged over the spec's env. */
  extraEnv?: Record<string, string>;
}

export interface ExecResult {
  exitCode: number | null;
  /** stdout+stderr, at most 10 KiB. */
  output: string;
  timedOut: boolean;
}

export interface RunningInstance {
  readonly instanceId: string;
  /** Where the serving container's port is reachable from the host. */
  readonly host: string;
  readonly port: number;
  /** Process group id (process runtime) or container id. */
  readonly pid?: number;
  readonly startedAt: number;
  /** Resolves once, when the instance (its serving process) has ended. Never rejects. */
  readonly exited: Promise<ExitInfo>;
  /** SIGTERM to the whole group, SIGKILL after graceSeconds. Safe to call twice. */
  stop(graceSeconds: number): Promise<ExitInfo>;
  /** Runs argv inside the instance's environment (exec probes); kills the probe's tree on timeout. */
  exec(argv: string[], timeoutMs: number): Promise<ExecResult>;
  /** CPU seconds used by the instance's processes so far (for the autoscaler); undefined if unknown. */
  cpuSeconds(): number | undefined;
}

export interface InstanceRuntime {
  readonly kind: 'process' | 'container';
  /**
   * Throws PierError('RUNTIME_UNSUPPORTED') when this runtime cannot run the spec
   * (e.g. the process runtime and an image-only spec). Resolves once the process
   * is spawned (not when it is ready); a spawn failure resolves to an instance whose
   * `exited` is already settled with reason 'StartError'.
   */
  start(req: StartRequest): Promise<RunningInstance>;
  /** Re-attaches to an instance left running by an earlier Pier process, or null if it is gone. */
  adopt(record: AdoptRecord): Promise<RunningInstance | null>;
  /** Which runtime would run `spec` (a selector over several runtimes answers per spec). */
  kindFor?(spec: ServiceSpec): 'process' | 'container' | null;
  /** Checks up front, without starting anything; returns a user-facing reason or null. */
  unsupportedReason(spec: ServiceSpec): string | null;
}

export interface AdoptRecord {
  instanceId: string;
  /** Which runtime started it (the local platform's re-adoption record). */
  runtime?: 'process' | 'container';
  pid: number;
  port: number;
  startedAt: number;
  logDir: string;
}

/** pip options for `prepare` installs; from Pier's configuration so offline machines work. */
export interface PipConfig {
  /** `--index-url`. */
  indexUrl?: string;
  /** `--find-links`, each a directory or URL. */
  findLinks?: string[];
  /** `--no-index`: install only from `findLinks`. */
  noIndex?: boolean;
  /** Anything else, passed to `pip install` as written (e.g. `["--trusted-host", "mirror"]`). */
  extraArgs?: string[];
  /** Bound on one install; default 1800 s. */
  timeoutSeconds?: number;
}

/** An S3-compatible endpoint that `storage[].oss` paths are read from on the local platform. */
export interface OssConfig {
  /** e.g. `http://127.0.0.1:9000` (MinIO) or `https://oss-cn-hangzhou.aliyuncs.com`. */
  endpoint: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** SigV4 region; default `us-east-1`. */
  region?: string;
}

/**
 * What runtimes need from Pier's configuration for `prepare`, `storage` and
 * `metadata.gpu`. Optional as a whole: without it, specs that use none of these run
 * as before, and a spec that does gets a StartError naming what to configure.
 */
export interface PierRuntimeConfig {
  /** Pier's home; venvs live in `<home>/venvs/<hash>`, oss caches in `<home>/oss/<bucket>/…`. */
  home: string;
  /** Interpreter that venvs are made from; default `python3`. */
  python?: string;
  pip?: PipConfig;
  oss?: OssConfig;
  /** The machine's GPUs (indices or UUIDs); default: `nvidia-smi -L`, none when it is missing. */
  gpus?: string[];
}
