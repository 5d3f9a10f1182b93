/**
 * The process runtime's prepare: one virtualenv per distinct requirement list, in
 * `<home>/venvs/<hash>`, made with `python3 -m venv --system-site-packages
 * --without-pip` and filled by the host's pip (`python3 -m pip --python <venv>`),
 * which takes a fraction of a second where seeding pip into every venv takes
 * seconds. A `.pier-ready` marker is written last: a venv without it is rebuilt.
 */

import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../clock.js';
import type { PipConfig } from '../types.js';
import { acquireLock } from './lock.js';
import { pipInstallArgs, type Requirements, requirementsHash } from './requirements.js';
import { runStep } from './run.js';

export const READY_MARKER = '.pier-ready';

export interface VenvRequest {
  home: string;
  python: string;
  pip?: PipConfig;
  requirements: Requirements;
  /** `containers[i]`, for messages. */
  path: string;
  /** Progress lines (written to the instance log by the caller). */
  log: (line: string) => void;
  clock: Clock;
}

export type VenvResult = { ok: true; dir: string; hash: string; reused: boolean } | { ok: false; message: string };

export async function ensureVenv(req: VenvRequest): Promise<VenvResult> {
  const hash = requirementsHash(req.requirements, req.python, req.pip);
  const root = join(req.home, 'venvs');
  const dir = join(root, hash);
  const ready = () => existsSync(join(dir, READY_MARKER));
  const reused = (): VenvResult => {
    req.log(`prepare ${req.path}: reusing virtualenv ${dir}`);
    return { ok: true, dir, hash, reused: true };
  };
  if (ready()) return reused();

  mkdirSync(root, { recursive: true });
  const timeoutMs = (req.pip?.timeoutSeconds ?? 1800) * 1000;
  const release = await acquireLock(`${dir}.lock`, req.clock, timeoutMs);
  if (!release) {
    return { ok: false, message: `prepare ${req.path}: another install of ${dir} did not finish in time` };
  }
  try {
    if (ready()) return reused();
    rmSync(dir, { recursive: true, force: true });
    req.log(`prepare ${req.path}: creating virtualenv ${dir}`);
    const step = (args: string[]) =>
      runStep({ file: req.python, args, onLine: (l) => req.log(`pip: ${l}`), timeoutMs, clock: req.clock });
    const venv = await step(venvArgs(dir));
    if (!venv.ok) return failed(req, dir, `${req.python} -m venv failed (${venv.how})`, venv.tail);
    const python = join(dir, 'bin', 'python');
    const install = await step(['-m', 'pip', '--python', python, ...pipInstallArgs(req.requirements, req.pip)]);
    if (!install.ok) return failed(req, dir, `pip install failed (${install.how})`, install.tail);
    writeFileSync(join(dir, READY_MARKER), `${JSON.stringify(req.requirements)}\n`);
    req.log(`prepare ${req.path}: virtualenv ready`);
    return { ok: true, dir, hash, reused: false };
  } finally {
    release();
  }
}

function failed(req: VenvRequest, dir: string, what: string, tail: string[]): VenvResult {
  rmSync(dir, { recursive: true, force: true });
  const lines = tail.length > 0 ? `; last lines:\n${tail.join('\n')}` : '';
  return { ok: false, message: `prepare ${req.path}: ${what}${lines}` };
}

/** `python3 -m venv …`: `--` before the directory, as before every value on a command line Pier builds. */
export function venvArgs(dir: string): string[] {
  return ['-m', 'venv', '--system-site-packages', '--without-pip', '--', dir];
}

/** What the instance's processes get: the venv first on PATH, VIRTUAL_ENV set. */
export function venvEnv(dir: string, env: Record<string, string>): Record<string, string> {
  return { ...env, PATH: `${join(dir, 'bin')}:${env.PATH ?? '/usr/bin:/bin'}`, VIRTUAL_ENV: dir };
}
