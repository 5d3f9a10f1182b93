/**
 * Everything the process runtime does before spawning an instance: storage
 * (resolved and linked under the working dir) and one virtualenv per container
 * with `prepare`. Progress goes to the instance log; a failure is a message for
 * the instance's StartError.
 */

import type { Clock } from '../../clock.js';
import type { InstancePlan } from '../../platform/plan/index.js';
import { linkProcessMounts, resolveMounts } from '../storage/index.js';
import type { PierRuntimeConfig } from '../types.js';
import { readRequirements } from './requirements.js';
import { ensureVenv, venvEnv } from './venv.js';

export interface ProcessPrepareInput {
  /** Mounts and each container's `prepare` come from here. */
  plan: InstancePlan;
  workDir: string;
  config?: PierRuntimeConfig;
  clock: Clock;
  log: (line: string) => void;
}

export type ProcessPrepared =
  | {
      ok: true;
      /** Storage env (PIER_MOUNT_<n>, PIER_MOUNTS), for every container. */
      env: Record<string, string>;
      /** Applies the virtualenv (if any) of the container at `index` in `containers[]` to its env. */
      withVenv: (index: number, env: Record<string, string>) => Record<string, string>;
    }
  | { ok: false; message: string };

export async function prepareProcessInstance(input: ProcessPrepareInput): Promise<ProcessPrepared> {
  const resolved = await resolveMounts({ ...input, mounts: input.plan.mounts, forContainer: false });
  if (!resolved.ok) return resolved;
  const env = linkProcessMounts(input.workDir, resolved.mounts);

  const venvs = new Map<number, string>();
  for (const c of input.plan.containers) {
    const path = `containers[${c.index}]`;
    const read = readRequirements(c, path, input.workDir);
    if (!read.ok) return read;
    if (!read.requirements) continue;
    if (!input.config) {
      return {
        ok: false,
        message:
          `${path}.prepare needs a virtualenv cache, but this runtime was created without Pier's configuration ` +
          '(createProcessRuntime({config: {home}}))',
      };
    }
    const venv = await ensureVenv({
      home: input.config.home,
      python: input.config.python ?? 'python3',
      pip: input.config.pip,
      requirements: read.requirements,
      path,
      log: input.log,
      clock: input.clock,
    });
    if (!venv.ok) return venv;
    venvs.set(c.index, venv.dir);
  }
  return {
    ok: true,
    env,
    withVenv: (index, e) => {
      const dir = venvs.get(index);
      return dir ? venvEnv(dir, e) : e;
    },
  };
}
