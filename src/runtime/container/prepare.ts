/**
 * What the container runtime does between pulling images and the first `run`:
 * storage resolved to host paths (oss synced, nfs mounted) and each container's
 * `prepare` installed with its own image into a cached host directory.
 */

import type { Clock } from '../../clock.js';
import type { InstancePlan } from '../../platform/plan/index.js';
import { ensureContainerDeps, readRequirements } from '../prepare/index.js';
import { type ResolvedMount, resolveMounts } from '../storage/index.js';
import type { PierRuntimeConfig, StartRequest } from '../types.js';
import type { Engine } from './engine.js';
import { appendPierLine } from '../logs.js';

export type ContainersPrepared =
  | { ok: true; mounts: ResolvedMount[]; pydeps: Map<number, string> }
  | { ok: false; message: string };

export async function prepareContainers(input: {
  engine: Engine;
  req: StartRequest & { plan: InstancePlan };
  config?: PierRuntimeConfig;
  clock: Clock;
}): Promise<ContainersPrepared> {
  const { req, config, clock } = input;
  const log = (line: string) => appendPierLine(req.logDir, line);
  const resolved = await resolveMounts({
    mounts: req.plan.mounts,
    workDir: req.workDir,
    config,
    clock,
    log,
    forContainer: true,
  });
  if (!resolved.ok) return resolved;
  const pydeps = new Map<number, string>();
  // Mounts and `prepare` from the plan; each install runs in the container's own image.
  for (const c of req.plan.containers) {
    const i = c.index;
    const path = `containers[${i}]`;
    const read = readRequirements(c, path, req.workDir);
    if (!read.ok) return read;
    if (!read.requirements) continue;
    if (!config) {
      return {
        ok: false,
        message: `${path}.prepare needs Pier's configuration (createContainerRuntime({config: {home}}))`,
      };
    }
    const deps = await ensureContainerDeps({
      binary: input.engine.binary,
      env: input.engine.env,
      image: c.image as string,
      home: config.home,
      pip: config.pip,
      requirements: read.requirements,
      path,
      log,
      clock,
    });
    if (!deps.ok) return deps;
    pydeps.set(i, deps.dir);
  }
  return { ok: true, mounts: resolved.mounts, pydeps };
}
