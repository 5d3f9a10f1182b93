/**
 * Makes the image present (pull policy IfNotPresent), with dockerAuth as
 * credentials for the pull only. A failure is data: `{ok: false, message}` with
 * the engine's message, credentials redacted.
 */

import { redact, secretsOf, writeAuthFile } from './auth.js';
import { cliMessage, type Engine } from './engine.js';

export type PullOutcome = { ok: true; pulled: boolean } | { ok: false; message: string };

const PULL_TIMEOUT_MS = 15 * 60_000;

export async function ensureImage(engine: Engine, image: string, dockerAuth?: string): Promise<PullOutcome> {
  // `--` before every user value: an image named like a flag must not be read as one.
  const present = await engine.run(['image', 'inspect', '--format', '{{.Id}}', '--', image]);
  if (present.code === 0) return { ok: true, pulled: false };

  const secrets = secretsOf(dockerAuth);
  let auth: ReturnType<typeof writeAuthFile> | undefined;
  try {
    auth = dockerAuth ? writeAuthFile(dockerAuth, image, engine.kind) : undefined;
    const args = pullArgs(engine.kind, image, auth?.args ?? []);
    const r = await engine.run(args, { timeoutMs: PULL_TIMEOUT_MS, env: auth?.env });
    if (r.code === 0) return { ok: true, pulled: true };
    return { ok: false, message: redact(`pulling image ${JSON.stringify(image)} failed: ${cliMessage(r)}`, secrets) };
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    return { ok: false, message: redact(`pulling image ${JSON.stringify(image)} failed: ${text}`, secrets) };
  } finally {
    auth?.remove();
  }
}

/** `pull` with the engine's options, then `--`, then the image. */
export function pullArgs(kind: Engine['kind'], image: string, authArgs: string[] = []): string[] {
  return kind === 'podman' ? ['pull', '--quiet', ...authArgs, '--', image] : ['pull', '--', image];
}
