/**
 * The local platform's prober reads probes in the spec's (EAS) shape; the plan holds
 * them with the kubelet's field names. This is the local counterpart of the Kubernetes
 * translator writing a Pod's probes: field by field, nothing worked out again.
 */

import { PierError } from '../../errors.js';
import type { InstanceProbeSpecs } from '../../probe/index.js';
import type { ProbeSpec } from '../../spec/index.js';
import type { ContainerPlan, ProbePlan } from '../plan/index.js';

/** The serving container's probes for the prober; the plan always has readiness for it. */
export function probeSpecsOfPlan(serving: ContainerPlan): InstanceProbeSpecs {
  const { readiness, liveness, startup } = serving.probes;
  if (!readiness) throw new PierError('INTERNAL', `container ${serving.name} of the plan has no readiness probe`);
  return {
    readiness: probeSpecOf(readiness),
    ...(liveness ? { liveness: probeSpecOf(liveness) } : {}),
    ...(startup ? { startup: probeSpecOf(startup) } : {}),
  };
}

export function probeSpecOf(p: ProbePlan): ProbeSpec {
  const timing: ProbeSpec = {
    initial_delay_seconds: p.initialDelaySeconds,
    period_seconds: p.periodSeconds,
    timeout_seconds: p.timeoutSeconds,
    success_threshold: p.successThreshold,
    failure_threshold: p.failureThreshold,
    ...(p.terminationGracePeriodSeconds !== undefined
      ? { termination_grace_period_seconds: p.terminationGracePeriodSeconds }
      : {}),
  };
  if ('httpGet' in p) {
    const h = p.httpGet;
    return {
      http_get: {
        path: h.path,
        port: h.port,
        ...(h.host !== undefined ? { host: h.host } : {}),
        scheme: h.scheme,
        http_headers: h.httpHeaders.map(({ name, value }) => ({ name, value })),
      },
      ...timing,
    };
  }
  if ('tcpSocket' in p) {
    const t = p.tcpSocket;
    return { tcp_socket: { port: t.port, ...(t.host !== undefined ? { host: t.host } : {}) }, ...timing };
  }
  if ('grpc' in p) {
    const g = p.grpc;
    return { grpc: { port: g.port, ...(g.service !== undefined ? { service: g.service } : {}) }, ...timing };
  }
  return { exec: { command: [...p.exec.command] }, ...timing };
}
