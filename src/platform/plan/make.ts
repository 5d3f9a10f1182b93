/**
 * `makeInstancePlan(spec, revision, config)`: the one place the spec is turned into
 * what an instance runs. Pure: the same spec, revision and config give the same plan.
 */

import { probeSpecsFor } from '../../probe/index.js';
import type { ContainerSpec, ProbeSpec, ServiceSpec, StorageSpec } from '../../spec/index.js';
import type {
  ContainerPlan,
  InstancePlan,
  MountPlan,
  MountSource,
  PlanConfig,
  PlanEnvVar,
  ProbePlan,
} from './types.js';

export function makeInstancePlan(spec: ServiceSpec, revision: number, config: PlanConfig = {}): InstancePlan {
  const serving = servingIndexOf(spec);
  const md = spec.metadata;
  const strategy = md.rolling_strategy;
  return {
    service: spec.name,
    revision,
    containers: spec.containers.map((c, index) => containerPlan(c, index, index === serving, revision, spec, config)),
    mounts: spec.storage.map(mountPlan).filter((m): m is MountPlan => m !== null),
    resources: {
      ...(md.cpu !== undefined ? { cpu: md.cpu } : {}),
      ...(md.memory !== undefined ? { memoryMb: md.memory } : {}),
      gpu: md.gpu ?? 0,
    },
    terminationGracePeriodSeconds: md.eas.termination_grace_period,
    rollout: {
      maxSurge: strategy.max_surge,
      maxUnavailable: strategy.max_unavailable,
      minReadySeconds: strategy.min_ready_seconds,
      progressDeadlineSeconds: strategy.progress_deadline_seconds,
    },
    ...(spec.dockerAuth ? { dockerAuth: spec.dockerAuth } : {}),
  };
}

/** The serving container: the first with a port (validation guarantees one), else the first. */
export function servingOf(plan: InstancePlan): ContainerPlan {
  return plan.containers.find((c) => c.role === 'serving') ?? (plan.containers[0] as ContainerPlan);
}

/** Fills the per-instance values of a plan's env, in order (a later name overrides an earlier one). */
export function resolveEnv(env: PlanEnvVar[], values: { instanceId: string; port: number }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of env) {
    if ('value' in v) out[v.name] = v.value;
    else out[v.name] = v.valueFrom === 'port' ? String(values.port) : values.instanceId;
  }
  return out;
}

/**
 * A container's env: the spec's, then Pier's documented variables (docs/design.md,
 * src/runtime/README.md): the app reads its port from PORT and who it is from
 * PIER_SERVICE/PIER_INSTANCE/PIER_REVISION.
 */
export function containerEnvPlan(c: ContainerSpec, service: string, revision: number): PlanEnvVar[] {
  return [
    ...(c.env ?? []).map(({ name, value }) => ({ name, value })),
    { name: 'PORT', valueFrom: 'port' },
    { name: 'PIER_SERVICE', value: service },
    { name: 'PIER_INSTANCE', valueFrom: 'instance-id' },
    { name: 'PIER_REVISION', value: String(revision) },
  ];
}

function servingIndexOf(spec: ServiceSpec): number {
  const i = spec.containers.findIndex((c) => typeof c.port === 'number');
  return Math.max(i, 0);
}

function containerPlan(
  c: ContainerSpec,
  index: number,
  serving: boolean,
  revision: number,
  spec: ServiceSpec,
  config: PlanConfig,
): ContainerPlan {
  const image = c.image ?? (config.defaultImage && (c.command || c.script) ? config.defaultImage : undefined);
  const servingPort = spec.containers.find((x) => typeof x.port === 'number')?.port;
  const port = c.port ?? servingPort ?? 0;
  // Only the serving container is probed (as today: the prober watches the serving container).
  const probes = serving ? probeSpecsFor(c, port) : undefined;
  return {
    name: serving ? 'serving' : `sidecar-${index}`,
    index,
    role: serving ? 'serving' : 'sidecar',
    ...(image !== undefined ? { image } : {}),
    ...(c.command !== undefined ? { command: c.command } : {}),
    ...(c.script !== undefined ? { script: c.script } : {}),
    ...(serving && c.port !== undefined ? { port: c.port } : {}),
    env: containerEnvPlan(c, spec.name, revision),
    ...(c.prepare ? { prepare: c.prepare } : {}),
    probes: probes
      ? {
          readiness: probePlan(probes.readiness),
          ...(probes.liveness ? { liveness: probePlan(probes.liveness) } : {}),
          ...(probes.startup ? { startup: probePlan(probes.startup) } : {}),
        }
      : {},
  };
}

function probePlan(p: ProbeSpec): ProbePlan {
  const timing = {
    initialDelaySeconds: p.initial_delay_seconds,
    periodSeconds: p.period_seconds,
    timeoutSeconds: p.timeout_seconds,
    successThreshold: p.success_threshold,
    failureThreshold: p.failure_threshold,
    ...(p.termination_grace_period_seconds !== undefined
      ? { terminationGracePeriodSeconds: p.termination_grace_period_seconds }
      : {}),
  };
  if (p.http_get) {
    const h = p.http_get;
    return {
      httpGet: {
        path: h.path,
        port: h.port,
        ...(h.host !== undefined ? { host: h.host } : {}),
        scheme: h.scheme,
        httpHeaders: h.http_headers.map(({ name, value }) => ({ name, value })),
      },
      ...timing,
    };
  }
  if (p.tcp_socket) {
    const t = p.tcp_socket;
    return { tcpSocket: { port: t.port, ...(t.host !== undefined ? { host: t.host } : {}) }, ...timing };
  }
  if (p.grpc) {
    return {
      grpc: { port: p.grpc.port, ...(p.grpc.service !== undefined ? { service: p.grpc.service } : {}) },
      ...timing,
    };
  }
  return { exec: { command: [...(p.exec?.command ?? [])] }, ...timing };
}

function mountPlan(s: StorageSpec, index: number): MountPlan | null {
  let source: MountSource | null = null;
  if (s.local) source = { kind: 'local', path: s.local.path, readOnly: s.local.readOnly };
  else if (s.empty_dir) {
    source = {
      kind: 'empty_dir',
      ...(s.empty_dir.medium ? { medium: s.empty_dir.medium } : {}),
      ...(s.empty_dir.size_limit !== undefined ? { sizeLimit: s.empty_dir.size_limit } : {}),
    };
  } else if (s.oss) {
    source = {
      kind: 'oss',
      path: s.oss.path,
      readOnly: s.oss.readOnly,
      ...(s.oss.endpoint ? { endpoint: s.oss.endpoint } : {}),
    };
  } else if (s.nfs) source = { kind: 'nfs', server: s.nfs.server, path: s.nfs.path, readOnly: s.nfs.readOnly };
  return source ? { index, mountPath: s.mount_path, source } : null;
}
