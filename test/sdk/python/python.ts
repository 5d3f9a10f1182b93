/**
 * Where the Python SDK tests find their interpreter: the venv that
 * test/sdk/python/setup.sh makes, by the same path rule
 * (`${PIER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pier}/sdk/python`), and a
 * runner for the scripts beside this file, which print JSON lines on stdout.
 */

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { quote } from 'shell-quote';
import { type LinesOptions, type LinesResult, runLines } from '../harness.js';

export const pythonDir = path.dirname(fileURLToPath(import.meta.url));

export function sdkVenvDir(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.PIER_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'pier');
  return path.join(cache, 'sdk', 'python');
}

export function hasSdkPython(env: NodeJS.ProcessEnv = process.env): boolean {
  try {
    sdkPython(env);
    return true;
  } catch {
    return false;
  }
}

/** The venv's python; throws (so the test fails, never skips) when setup.sh has not run. */
export function sdkPython(env: NodeJS.ProcessEnv = process.env): string {
  const venv = sdkVenvDir(env);
  const python = path.join(venv, 'bin', 'python');
  if (!existsSync(python) || !existsSync(path.join(venv, '.pier-requirements'))) {
    throw new Error(
      `the Python SDK venv is missing at ${venv}: run \`bash test/sdk/python/setup.sh\` first ` +
        '(it installs eas-prediction, langchain-community and openai from PyPI)',
    );
  }
  return python;
}

export interface ScriptRun extends LinesResult {
  /** Every stdout line that parsed as a JSON object. */
  json: Record<string, unknown>[];
  /** The last JSON line (the script's result). */
  result: Record<string, unknown>;
}

/** Runs test/sdk/python/<script> with the venv's python; fails with its output when it exits non-zero. */
export async function runPython(script: string, args: string[], opts: LinesOptions = {}): Promise<ScriptRun> {
  const run = await runLines(sdkPython(), ['-B', '-u', '-W', 'ignore', path.join(pythonDir, script), ...args], opts);
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
      `${script} ${args.join(' ')} exited ${run.code ?? run.signal}\nstdout:\n${run.stdout.slice(-4000)}\nstderr:\n${run.stderr.slice(-4000)}`,
    );
  }
  return { ...run, json, result: json[json.length - 1]! };
}

/** fixtures/gated_app.py as a one-instance service; acks ride the gateway beside the open stream. */
export function gatedSpec(name: string) {
  return {
    name,
    metadata: { instance: 1, rpc: { worker_threads: 4 }, eas: { termination_grace_period: 2 } },
    containers: [
      {
        command: quote(['python3', path.join(pythonDir, 'fixtures/gated_app.py')]),
        port: 8000,
        readiness_check: { http_get: { path: '/health', port: 8000 }, period_seconds: 1 },
      },
    ],
  };
}
