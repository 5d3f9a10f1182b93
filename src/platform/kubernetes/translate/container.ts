/**
 * One plan container → one core/v1 Container
 * (https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#Container).
 */

import type { PrepareSpec } from '../../../spec/index.js';
import type { ContainerPlan, PlanEnvVar, ProbePlan, ResourcePlan } from '../../plan/index.js';
import type { ExtraResources } from './extras.js';
import { binaryQuantity, cpuQuantity } from './quantity.js';

/** The serving container's port name: the Service's targetPort and the EndpointSlices' port name. */
export const SERVING_PORT_NAME = 'http';

/**
 * Seconds a stopping pod waits (preStop `sleep`, GA in Kubernetes 1.34) before
 * SIGTERM, so that Pier's gateway, which reads EndpointSlices, stops sending to it
 * first (https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/).
 * Capped below the grace period, which the sleep counts against.
 */
export const DRAIN_SECONDS = 5;

export interface ContainerContext {
  image: string | undefined;
  /** The serving container's port: `PORT` in every container, `${PORT}` in command/script. */
  servingPort: number;
  /** The revision the pod template says it runs (`PIER_REVISION`); see translateService. */
  templateRevision: number;
  currentRevision: number;
  grace: number;
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
  /** Given to the serving container only: EAS sizes the instance, and GPUs go where the model runs. */
  resources?: { plan: ResourcePlan; extra: ExtraResources };
}

export function translateContainer(c: ContainerPlan, ctx: ContainerContext): Record<string, unknown> {
  const serving = c.role === 'serving';
  const drain = Math.min(DRAIN_SECONDS, ctx.grace - 1);
  const resources = serving && ctx.resources ? resourceRequirements(ctx.resources.plan, ctx.resources.extra) : null;
  return {
    name: c.name,
    ...(ctx.image !== undefined ? { image: ctx.image } : {}),
    ...entrypoint(c, ctx.servingPort),
    ...(serving && c.port !== undefined
      ? { ports: [{ name: SERVING_PORT_NAME, containerPort: c.port, protocol: 'TCP' }] }
      : {}),
    env: envVars(c.env, ctx),
    ...(resources ? { resources } : {}),
    ...(ctx.volumeMounts.length > 0 ? { volumeMounts: ctx.volumeMounts.map((m) => ({ ...m })) } : {}),
    ...(c.probes.liveness ? { livenessProbe: probe(c.probes.liveness) } : {}),
    ...(c.probes.readiness ? { readinessProbe: probe(c.probes.readiness) } : {}),
    ...(c.probes.startup ? { startupProbe: probe(c.probes.startup) } : {}),
    ...(drain > 0 ? { lifecycle: { preStop: { sleep: { seconds: drain } } } } : {}),
  };
}

/**
 * The kubelet expands `$(NAME)` in command, args and env values from the container's
 * env, and `$$` is its escape (https://kubernetes.io/docs/tasks/inject-data-application/define-interdependent-environment-variables/).
 * Pier's values are literal, so every `$` is doubled; the shell still sees `$VAR`.
 */
function kubeLiteral(text: string): string {
  return text.replace(/\$/g, '$$$$');
}

/**
 * `script` runs as `/bin/sh -c SCRIPT` and `command` as `/bin/sh -c "exec COMMAND"`:
 * the shell splits the words and expands `$VAR` from the container's env, as the
 * process runtime does, and `exec` leaves the program as the container's main
 * process so that it gets SIGTERM. `${PORT}` is written as the container port (the
 * same value `$PORT` has). `prepare` installs its Python packages first.
 * A container with neither runs its image's own entrypoint.
 */
function entrypoint(c: ContainerPlan, port: number): { command?: string[] } {
  const withPort = (text: string) => text.replace(/\$\{PORT\}/g, String(port));
  let body: string;
  if (c.script !== undefined) body = withPort(c.script);
  else if (c.command !== undefined) body = `exec ${withPort(c.command)}`;
  else return {};
  const install = c.prepare ? pipInstall(c.prepare) : null;
  if (install) body = `${install} || exit 1\n${body}`;
  return { command: ['/bin/sh', '-c', kubeLiteral(body)] };
}

function pipInstall(p: PrepareSpec): string | null {
  const args = [
    ...(p.pythonRequirements ?? []),
    ...(p.pythonRequirementsPath !== undefined ? ['-r', p.pythonRequirementsPath] : []),
  ];
  return args.length > 0 ? `pip install --no-cache-dir ${args.map(shellWord).join(' ')}` : null;
}

/** A word for /bin/sh: as it is when it holds no special character, else single-quoted (shell-quote would backslash every `=`). */
function shellWord(word: string): string {
  return /^[\w./=:@%+,~-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/** One entry per name, the last value winning (env is a map keyed by name under server-side apply). */
function envVars(env: PlanEnvVar[], ctx: ContainerContext): Record<string, unknown>[] {
  const byName = new Map<string, Record<string, unknown>>();
  for (const v of env) {
    if ('value' in v) {
      // An equivalent revision keeps the template, and so the revision its pods were told.
      const value =
        v.name === 'PIER_REVISION' && v.value === String(ctx.currentRevision) ? String(ctx.templateRevision) : v.value;
      byName.set(v.name, { name: v.name, value: kubeLiteral(value) });
    } else if (v.valueFrom === 'port') byName.set(v.name, { name: v.name, value: String(ctx.servingPort) });
    else byName.set(v.name, { name: v.name, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
  }
  return [...byName.values()];
}

function probe(p: ProbePlan): Record<string, unknown> {
  let handler: Record<string, unknown>;
  if ('httpGet' in p) {
    const h = p.httpGet;
    handler = {
      httpGet: {
        path: h.path,
        port: h.port,
        ...(h.host !== undefined ? { host: h.host } : {}),
        scheme: h.scheme,
        ...(h.httpHeaders.length > 0 ? { httpHeaders: h.httpHeaders } : {}),
      },
    };
  } else if ('tcpSocket' in p) handler = { tcpSocket: p.tcpSocket };
  else if ('grpc' in p) handler = { grpc: p.grpc };
  else handler = { exec: p.exec };
  return {
    ...handler,
    initialDelaySeconds: p.initialDelaySeconds,
    periodSeconds: p.periodSeconds,
    timeoutSeconds: p.timeoutSeconds,
    successThreshold: p.successThreshold,
    failureThreshold: p.failureThreshold,
    ...(p.terminationGracePeriodSeconds !== undefined
      ? { terminationGracePeriodSeconds: p.terminationGracePeriodSeconds }
      : {}),
  };
}

/**
 * EAS sizes an instance: requests = limits, so a pod with cpu and memory is in the
 * Guaranteed QoS class. GPUs are limits only: Kubernetes sets the request to the
 * limit for extended resources (https://kubernetes.io/docs/tasks/manage-gpus/scheduling-gpus/).
 */
function resourceRequirements(r: ResourcePlan, extra: ExtraResources): Record<string, unknown> | null {
  const sized: Record<string, string> = {
    ...(r.cpu !== undefined ? { cpu: cpuQuantity(r.cpu) } : {}),
    ...(r.memoryMb !== undefined ? { memory: binaryQuantity(r.memoryMb, 'Mi') } : {}),
    ...(extra.ephemeralStorage !== undefined ? { 'ephemeral-storage': extra.ephemeralStorage } : {}),
  };
  const limits = { ...sized, ...(r.gpu > 0 ? { 'nvidia.com/gpu': String(r.gpu) } : {}) };
  if (Object.keys(limits).length === 0) return null;
  return { ...(Object.keys(sized).length > 0 ? { requests: sized } : {}), limits };
}
