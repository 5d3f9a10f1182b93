/**
 * Where the PAI SDK tests find their interpreter: the venv that
 * test/sdk/pai/setup.sh makes, by the same path rule
 * (`${PIER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pier}/sdk/pai`), and a runner
 * for pai_sdk.py, which prints JSON lines on stdout.
 */

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LinesOptions, type LinesResult, runLines } from '../harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export function paiVenvDir(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.PIER_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'pier');
  return path.join(cache, 'sdk', 'pai');
}

/** The venv's python; throws (so the test fails, never skips) when setup.sh has not run. */
export function paiPython(env: NodeJS.ProcessEnv = process.env): string {
  const venv = paiVenvDir(env);
  const python = path.join(venv, 'bin', 'python');
  if (!existsSync(python) || !existsSync(path.join(venv, '.pier-requirements'))) {
    throw new Error(
      `the PAI SDK venv is missing at ${venv}: run \`bash test/sdk/pai/setup.sh\` first (it installs alipai from PyPI)`,
    );
  }
  return python;
}

export function hasPaiPython(): boolean {
  try {
    paiPython();
    return true;
  } catch {
    return false;
  }
}

export interface PaiRun extends LinesResult {
  /** The last stdout line that parsed as a JSON object (the script's result). */
  result: Record<string, unknown>;
}

/**
 * Runs pai_sdk.py MODE CONTROL_URL ACCESS_KEY_ID ACCESS_KEY_SECRET SERVICE; fails
 * with its output when it exits non-zero or prints no JSON. The SDK's credential
 * chain is kept off the network: no ECS metadata service, no CLI profile.
 */
export async function runPai(args: string[], opts: LinesOptions = {}): Promise<PaiRun> {
  const run = await runLines(paiPython(), ['-B', '-u', '-W', 'ignore', path.join(here, 'pai_sdk.py'), ...args], {
    ...opts,
    env: { ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true', ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true', ...opts.env },
  });
  const json = run.lines.flatMap((l) => {
    if (!l.startsWith('{')) return [];
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
  if (run.code !== 0 || json.length === 0) {
    throw new Error(
      `pai_sdk.py ${args.join(' ')} exited ${run.code ?? run.signal}\nstdout:\n${run.stdout.slice(-4000)}\nstderr:\n${run.stderr.slice(-4000)}`,
    );
  }
  return { ...run, result: json[json.length - 1]! };
}
