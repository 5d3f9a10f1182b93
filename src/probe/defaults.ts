/**
 * Which probe runs for which kind, from a container spec (EAS health checks,
 * https://help.aliyun.com/zh/pai/user-guide/advanced-configuration-health-check).
 */

import type { ContainerSpec, ProbeSpec } from '../spec/index.js';
import type { ProbeKind } from './types.js';

/**
 * Readiness when a container names neither `readiness_check` nor `health_check`:
 * EAS checks readiness with a TCP connect to the serving port by default, so an
 * instance gets traffic once its port accepts connections. Period 1 s, timeout 1 s,
 * success 1, failure 3, no initial delay.
 */
export const DEFAULT_READINESS_CHECK = {
  initial_delay_seconds: 0,
  period_seconds: 1,
  timeout_seconds: 1,
  success_threshold: 1,
  failure_threshold: 3,
} as const satisfies Omit<ProbeSpec, 'http_get' | 'tcp_socket' | 'exec' | 'grpc'>;

export function defaultReadinessCheck(port: number): ProbeSpec {
  return { tcp_socket: { port }, ...DEFAULT_READINESS_CHECK };
}

/** An instance's probes per kind; readiness always (EAS's default when the spec names none). */
export type InstanceProbeSpecs = Partial<Record<ProbeKind, ProbeSpec>> & { readiness: ProbeSpec };

/**
 * The probe per kind. EAS's older `health_check` is a readiness-style check (it gates
 * traffic), so it is readiness when there is no `readiness_check`; when both exist,
 * `readiness_check` wins and `health_check` is not run (the spec module may warn).
 */
export function probeSpecsFor(container: ContainerSpec, fallbackPort: number): InstanceProbeSpecs {
  const readiness =
    container.readiness_check ?? container.health_check ?? defaultReadinessCheck(container.port ?? fallbackPort);
  return {
    readiness,
    ...(container.liveness_check ? { liveness: container.liveness_check } : {}),
    ...(container.startup_check ? { startup: container.startup_check } : {}),
  };
}
