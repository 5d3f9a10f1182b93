/**
 * The container engine's CLI (podman, or docker where a Docker engine answers),
 * called with execFile (no shell). Every call is bounded by a timeout, and every
 * podman runs with CONTAINERS_CONF pointing at Pier's containers.conf.
 */

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineHostEnv } from '../host-env.js';

export type EngineKind = 'podman' | 'docker';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface Engine {
  readonly kind: EngineKind;
  readonly binary: string;
  /** The environment every engine call runs with (CONTAINERS_CONF set for podman). */
  readonly env: Record<string, string>;
  /** Runs `binary args…`; never rejects. Default timeout 30 s. */
  run(args: string[], opts?: { timeoutMs?: number; env?: Record<string, string> }): Promise<CliResult>;
}

/** The containers.conf shipped beside this file (also in the built output). */
export function shippedContainersConf(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'containers.conf');
  // `tsc` does not copy the file to the build directory; fall back to the source tree.
  if (existsSync(beside)) return beside;
  return join(here, '..', '..', '..', 'src', 'runtime', 'container', 'containers.conf');
}

export interface EngineOptions {
  kind: EngineKind;
  binary?: string;
  containersConf?: string;
  baseEnv?: NodeJS.ProcessEnv;
}

export function createEngine(opts: EngineOptions): Engine {
  const binary = opts.binary ?? opts.kind;
  const env = engineHostEnv(opts.baseEnv ?? process.env);
  if (opts.kind === 'podman') env.CONTAINERS_CONF = opts.containersConf ?? shippedContainersConf();
  return {
    kind: opts.kind,
    binary,
    env,
    run(args, runOpts = {}) {
      return runCli(binary, args, { ...env, ...(runOpts.env ?? {}) }, runOpts.timeoutMs ?? 30_000);
    },
  };
}

function runCli(binary: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      binary,
      args,
      { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (!err) {
          resolve({ code: 0, stdout, stderr, timedOut: false });
          return;
        }
        const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
        if (typeof e.code === 'string') {
          // spawn failure (ENOENT, EACCES): no exit code
          resolve({ code: null, stdout: '', stderr: `${binary}: ${e.code}`, timedOut: false });
          return;
        }
        resolve({ code: e.code ?? null, stdout, stderr, timedOut: Boolean(e.killed) && e.code == null });
      },
    );
  });
}

/** The last meaningful line of an engine's stderr, without podman's `Error: ` prefix. */
export function cliMessage(result: CliResult): string {
  if (result.timedOut) return 'the container engine did not answer in time';
  const lines = result.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('time='));
  const last = lines.find((l) => l.startsWith('Error:')) ?? lines.at(-1) ?? `exit code ${result.code}`;
  return last.replace(/^Error:\s*/, '');
}

/** Whether the engine answers (`<binary> version`), with a reason when it does not. */
export async function engineAvailable(engine: Engine): Promise<{ ok: boolean; reason?: string }> {
  const r = await engine.run(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 15_000 });
  if (r.code === 0) return { ok: true };
  if (r.code === null && !r.timedOut) return { ok: false, reason: `${engine.binary} is not installed (${r.stderr})` };
  return { ok: false, reason: `${engine.binary} does not answer: ${cliMessage(r)}` };
}

/**
 * The engine to use: podman when it answers, else docker when a Docker engine
 * answers, else null. Binaries are looked up on PATH.
 */
export async function detectContainerEngine(
  opts: { containersConf?: string } = {},
): Promise<{ engine: EngineKind; binary: string } | null> {
  for (const kind of ['podman', 'docker'] as const) {
    const engine = createEngine({ kind, containersConf: opts.containersConf });
    if ((await engineAvailable(engine)).ok) return { engine: kind, binary: engine.binary };
  }
  return null;
}
