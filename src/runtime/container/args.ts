/**
 * What the container runtime asks the engine to run for a spec: one `run -d`
 * argument list per container, serving first. Pure.
 */

import type { ContainerSpec, ServiceSpec } from '../../spec/index.js';
import { containerEnvPlan, type InstancePlan, makeInstancePlan, resolveEnv } from '../../platform/plan/index.js';
import { servingIndex, splitCommand } from '../command.js';
import { PYDEPS_MOUNT } from '../prepare/index.js';
import type { ResolvedMount } from '../storage/index.js';
import type { EngineKind } from './engine.js';

export const LABEL = {
  managed: 'pier.managed',
  service: 'pier.service',
  instance: 'pier.instance',
  revision: 'pier.revision',
  /** `containers[i]` index; the serving container also carries `pier.port`. */
  container: 'pier.container',
  port: 'pier.port',
} as const;

/** A user-facing reason the container runtime cannot run `spec`, or null. */
export function containerUnsupportedReason(spec: ServiceSpec): string | null {
  const serving = servingIndex(spec);
  if (serving < 0) {
    return 'no container has a "port", so there is nothing to serve; give the serving container a port (e.g. "port": 8000)';
  }
  if (!spec.containers.some((c) => c.image)) return 'the container runtime runs images; this spec has none';
  for (const [i, c] of spec.containers.entries()) {
    if (!c.image) return `containers[${i}] has no image; in the container runtime every container needs an "image"`;
    if (c.command) {
      const split = splitCommand(c.command, { PORT: '0' });
      if (!split.ok) return `containers[${i}]: ${split.message}`;
    }
  }
  for (const [i, s] of spec.storage.entries()) {
    if (!s.local && !s.empty_dir && !s.oss && !s.nfs) {
      return `storage[${i}] (${s.mount_path}): give one of local, empty_dir, oss or nfs`;
    }
  }
  return null;
}

export interface RunContext {
  engine: EngineKind;
  service: string;
  revision: number;
  instanceId: string;
  /** Host port the serving container's port is published on (127.0.0.1). */
  hostPort: number;
  /** Merged over each container's env (PATH is dropped: a host PATH means nothing inside). */
  extraEnv?: Record<string, string>;
  /** `storage[]` resolved to host paths (oss synced, nfs mounted); without it, local/empty_dir from the plan. */
  mounts?: ResolvedMount[];
  /** GPUs reserved for the instance; given to the serving container. */
  gpus?: string[];
  /** The instance's plan (env, resources); without it they are worked out from the spec. */
  plan?: InstancePlan;
  /** containers[i] → host dir of its `prepare` install, mounted at /pier/pydeps. */
  pydeps?: Map<number, string>;
}

export interface ContainerRun {
  /** `containers[i]`, for messages. */
  path: string;
  name: string;
  args: string[];
}

/** A container name the engines accept, derived from the instance id. */
export function containerName(instanceId: string, index: number, serving: boolean): string {
  const base = `pier-${instanceId.replace(/[^a-zA-Z0-9_.-]/g, '-')}`;
  return serving ? base : `${base}-c${index}`;
}

/** Env inside a container: the spec's env, then PORT (the container port) and PIER_*, then extraEnv. */
export function containerEnv(c: ContainerSpec, port: number, ctx: RunContext, index = -1): Record<string, string> {
  const planned = ctx.plan?.containers[index]?.env ?? containerEnvPlan(c, ctx.service, ctx.revision);
  const env = resolveEnv(planned, { instanceId: ctx.instanceId, port });
  for (const [k, v] of Object.entries(ctx.extraEnv ?? {})) if (k !== 'PATH') env[k] = v;
  return env;
}

/**
 * `--entrypoint` and the words after the image: `command` as argv, `script` via
 * `/bin/sh -c`. `--` ends the engine's options before the image, so an image
 * named like a flag (`--version`, `--privileged`) is refused as an image rather
 * than obeyed (issue 12); everything after the image is the container's argv.
 */
function entrypoint(c: ContainerSpec, env: Record<string, string>, port: number): string[] | string {
  const image = c.image as string;
  if (c.script) return ['--entrypoint', '/bin/sh', '--', image, '-c', c.script.replace(/\$\{PORT\}/g, String(port))];
  if (c.command) {
    const split = splitCommand(c.command, env);
    if (!split.ok) return split.message;
    return ['--entrypoint', split.argv[0], '--', image, ...split.argv.slice(1)];
  }
  return ['--', image];
}

function storageArgs(spec: ServiceSpec, ctx: RunContext): string[] {
  const args: string[] = [];
  if (ctx.mounts) {
    for (const m of ctx.mounts) {
      if (m.hostPath) args.push('-v', `${m.hostPath}:${m.mountPath}${m.readOnly ? ':ro' : ''}`);
      else if (m.memory) args.push('--tmpfs', m.mountPath);
      else args.push('-v', m.mountPath);
    }
    return args;
  }
  // Not resolved yet (the check before pulling): the plan's local and empty_dir mounts.
  for (const { mountPath, source } of (ctx.plan ?? makeInstancePlan(spec, ctx.revision)).mounts) {
    if (source.kind === 'local') args.push('-v', `${source.path}:${mountPath}${source.readOnly ? ':ro' : ''}`);
    else if (source.kind === 'empty_dir' && source.medium === 'memory') args.push('--tmpfs', mountPath);
    else if (source.kind === 'empty_dir') args.push('-v', mountPath); // an anonymous volume, removed with the container
  }
  return args;
}

/** podman: CDI devices (`nvidia-ctk cdi generate`); docker: the NVIDIA runtime's `--gpus`. */
function gpuArgs(ctx: RunContext): string[] {
  const gpus = ctx.gpus ?? [];
  if (gpus.length === 0) return [];
  if (ctx.engine === 'docker') return ['--gpus', `"device=${gpus.join(',')}"`];
  return gpus.flatMap((g) => ['--device', `nvidia.com/gpu=${g}`]);
}

/** Serving container first; the others join its network namespace. A string is a user-facing error. */
export function buildRuns(spec: ServiceSpec, ctx: RunContext): ContainerRun[] | string {
  const serving = servingIndex(spec);
  const port = spec.containers[serving].port as number;
  const servingName = containerName(ctx.instanceId, serving, true);
  const order = [serving, ...spec.containers.map((_, i) => i).filter((i) => i !== serving)];
  const runs: ContainerRun[] = [];
  for (const i of order) {
    const c = spec.containers[i];
    const isServing = i === serving;
    const name = containerName(ctx.instanceId, i, isServing);
    const env = containerEnv(c, port, ctx, i);
    const pydeps = ctx.pydeps?.get(i);
    if (pydeps) env.PYTHONPATH = env.PYTHONPATH ? `${PYDEPS_MOUNT}:${env.PYTHONPATH}` : PYDEPS_MOUNT;
    const args = ['run', '-d', '--name', name, '--init'];
    const labels: Record<string, string> = {
      [LABEL.managed]: 'true',
      [LABEL.service]: ctx.service,
      [LABEL.instance]: ctx.instanceId,
      [LABEL.revision]: String(ctx.revision),
      [LABEL.container]: String(i),
      ...(isServing ? { [LABEL.port]: String(port) } : {}),
    };
    for (const [k, v] of Object.entries(labels)) args.push('--label', `${k}=${v}`);
    for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
    if (isServing) {
      args.push('-p', `127.0.0.1:${ctx.hostPort}:${port}`);
      // metadata.cpu/memory are per instance; the serving container carries the limit.
      const cpu = ctx.plan ? ctx.plan.resources.cpu : spec.metadata.cpu;
      const memory = ctx.plan ? ctx.plan.resources.memoryMb : spec.metadata.memory;
      if (cpu) args.push('--cpus', String(cpu));
      if (memory) args.push('--memory', `${Math.ceil(memory)}m`);
      args.push(...gpuArgs(ctx));
    } else {
      args.push('--network', `container:${servingName}`);
    }
    if (ctx.engine === 'docker') args.push('--log-opt', 'max-size=10m');
    args.push(...storageArgs(spec, ctx));
    if (pydeps) args.push('-v', `${pydeps}:${PYDEPS_MOUNT}:ro`);
    const tail = entrypoint(c, env, port);
    if (typeof tail === 'string') return `containers[${i}]: ${tail}`;
    args.push(...tail);
    runs.push({ path: `containers[${i}]`, name, args });
  }
  return runs;
}
