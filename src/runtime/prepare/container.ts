/**
 * The container runtime's prepare: a one-off `run --rm` of the instance's own image
 * (`python3 -m pip install --target /pier/pydeps`) into `<home>/pydeps/<hash>` on
 * the host, before the instance's first container run. The instance then gets that
 * directory mounted read-only at `/pier/pydeps` with `PYTHONPATH` pointing at it.
 * Cached by the same hash as venvs (plus the image), with the same lock.
 */

import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../clock.js';
import type { PipConfig } from '../types.js';
import { acquireLock } from './lock.js';
import { pipInstallArgs, type Requirements, requirementsHash } from './requirements.js';
import { runStep } from './run.js';
import { READY_MARKER } from './venv.js';

export const PYDEPS_MOUNT = '/pier/pydeps';

export interface ContainerDepsRequest {
  /** The engine CLI (podman/docker) and its environment. */
  binary: string;
  env: Record<string, string>;
  image: string;
  home: string;
  pip?: PipConfig;
  requirements: Requirements;
  path: string;
  log: (line: string) => void;
  clock: Clock;
}

export type ContainerDepsResult = { ok: true; dir: string } | { ok: false; message: string };

/** The `run --rm` argv: the deps dir, find-links dirs and the requirements file mounted in. */
export function pipRunArgs(req: ContainerDepsRequest, dir: string): string[] {
  const mounts = ['-v', `${dir}:${PYDEPS_MOUNT}`];
  const links = (req.pip?.findLinks ?? []).map((l, i) => {
    if (/^[a-z]+:\/\//i.test(l)) return l;
    mounts.push('-v', `${l}:/pier/find-links/${i}:ro`);
    return `/pier/find-links/${i}`;
  });
  let file: string | undefined;
  if (req.requirements.file) {
    mounts.push('-v', `${req.requirements.file}:/pier/requirements.txt:ro`);
    file = '/pier/requirements.txt';
  }
  const pip = pipInstallArgs(req.requirements, req.pip, file, links, ['--target', PYDEPS_MOUNT]);
  // `--` before the image (the engine's options end) and inside pip's argv (see pipInstallArgs).
  return ['run', '--rm', '--entrypoint', 'python3', ...mounts, '--', req.image, '-m', 'pip', ...pip];
}

export async function ensureContainerDeps(req: ContainerDepsRequest): Promise<ContainerDepsResult> {
  const hash = requirementsHash(req.requirements, 'python3', req.pip, req.image);
  const root = join(req.home, 'pydeps');
  const dir = join(root, hash);
  const ready = () => existsSync(join(dir, READY_MARKER));
  if (ready()) {
    req.log(`prepare ${req.path}: reusing ${dir}`);
    return { ok: true, dir };
  }
  mkdirSync(root, { recursive: true });
  const timeoutMs = (req.pip?.timeoutSeconds ?? 1800) * 1000;
  const release = await acquireLock(`${dir}.lock`, req.clock, timeoutMs);
  if (!release) return { ok: false, message: `prepare ${req.path}: another install of ${dir} did not finish in time` };
  try {
    if (ready()) {
      req.log(`prepare ${req.path}: reusing ${dir}`);
      return { ok: true, dir };
    }
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    req.log(`prepare ${req.path}: pip install in ${req.image} into ${dir}`);
    const r = await runStep({
      file: req.binary,
      args: pipRunArgs(req, dir),
      env: req.env,
      onLine: (l) => req.log(`pip: ${l}`),
      timeoutMs,
      clock: req.clock,
    });
    if (!r.ok) {
      rmSync(dir, { recursive: true, force: true });
      const lines = r.tail.length > 0 ? `; last lines:\n${r.tail.join('\n')}` : '';
      return { ok: false, message: `prepare ${req.path}: pip install in the image failed (${r.how})${lines}` };
    }
    writeFileSync(join(dir, READY_MARKER), `${JSON.stringify(req.requirements)}\n`);
    return { ok: true, dir };
  } finally {
    release();
  }
}
