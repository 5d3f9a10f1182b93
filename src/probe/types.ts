/**
 * Probes with kubelet semantics (https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/),
 * configured as EAS configures them (https://help.aliyun.com/zh/pai/user-guide/advanced-configuration-health-check).
 * A failing target is data (`ProbeOutcome`), never an exception.
 */

import type { ExecResult } from '../runtime/index.js';
import type { ProbeSpec } from '../spec/index.js';

export type ProbeKind = 'startup' | 'liveness' | 'readiness';

/** Kubelet's outcomes: Warning counts as Success; Unknown is discarded by the counter. */
export type ProbeResult = 'success' | 'failure' | 'warning' | 'unknown';

export interface ProbeOutcome {
  result: ProbeResult;
  /** Human readable: "HTTP probe failed with statuscode: 500", "dial tcp 127.0.0.1:4000: connection refused". */
  message: string;
}

/** Where a probe goes. Ports in the spec equal to `containerPort` mean `port`. */
export interface ProbeTarget {
  host: string;
  /** The instance's actual serving port on the host. */
  port: number;
  /** The serving container's port as the spec states it (e.g. 8000). */
  containerPort?: number;
  exec(argv: string[], timeoutMs: number): Promise<ExecResult>;
}

/** The published health of one instance, as the controller and the gateway read it. */
export interface InstanceHealth {
  started: boolean;
  ready: boolean;
  live: boolean;
  /** Last outcome per kind, for `pier w`/`desc` and failure reasons. */
  last: Partial<Record<ProbeKind, ProbeOutcome & { at: number }>>;
}

export interface InstanceHealthListener {
  /** Readiness published a change. */
  readinessChanged(ready: boolean, outcome: ProbeOutcome): void;
  /** The startup probe succeeded (or there is none): liveness and readiness begin. */
  started(): void;
  /** Liveness or startup published Failure: kill and restart the instance. */
  killRequested(kind: 'liveness' | 'startup', outcome: ProbeOutcome, graceSeconds?: number): void;
  /** Every failed attempt (before thresholds), for `Unhealthy` events. */
  probeFailed(kind: ProbeKind, outcome: ProbeOutcome): void;
}

/** A published probe value; `undefined` where nothing is published yet (startup before its first verdict). */
export type PublishedResult = 'success' | 'failure';

/** Options every handler may read. */
export interface ProbeOptions {
  /** `User-Agent: pier-probe/<version>`; default '0.1'. */
  userAgentVersion?: string;
  /** The serving port as the spec states it (`containers[].port`); a probe port equal to it means `target.port`. */
  servingPort?: number;
}

/** Runs one probe attempt; injectable so workers and probers can be tested without sockets. */
export type ProbeFn = (spec: ProbeSpec, target: ProbeTarget) => Promise<ProbeOutcome>;
