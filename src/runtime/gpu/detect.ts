/** The machine's GPUs, as `nvidia-smi -L` lists them. */

import { execFileSync } from 'node:child_process';

/** `GPU 0: NVIDIA A100 (UUID: GPU-…)` lines → their indices (`"0"`, `"1"`, …), in order. */
export function parseNvidiaSmiList(text: string): string[] {
  const ids: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^GPU (\d+):/.exec(line.trim());
    if (m) ids.push(m[1]);
  }
  return ids;
}

/** Runs `nvidia-smi -L` (bounded); no nvidia-smi, or a failing one, means no GPUs. */
export function detectGpus(binary = 'nvidia-smi'): string[] {
  try {
    const out = execFileSync(binary, ['-L'], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return parseNvidiaSmiList(out);
  } catch {
    return [];
  }
}
