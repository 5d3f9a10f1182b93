/**
 * dockerAuth (base64 `user:password`) as registry credentials for one pull: an
 * auth file in a fresh 0700 temp directory, removed after use, and a redactor so
 * the secret never reaches a message, log line or exception.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineKind } from './engine.js';

/** The registry host of an image reference, as auth files key it. */
export function registryHost(image: string, engine: EngineKind): string {
  const first = image.split('/')[0];
  const named = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (named) return first;
  return engine === 'docker' ? 'https://index.docker.io/v1/' : 'docker.io';
}

/** The strings that must never be shown: the base64 as given, its decoded form and the password. */
export function secretsOf(dockerAuth: string | undefined): string[] {
  if (!dockerAuth) return [];
  const decoded = Buffer.from(dockerAuth.trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const password = colon >= 0 ? decoded.slice(colon + 1) : '';
  return [dockerAuth.trim(), decoded, password].filter((s) => s.length >= 3);
}

export function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  return out;
}

export interface AuthFile {
  /** Extra CLI arguments (podman) and environment (docker) for the pull. */
  args: string[];
  env: Record<string, string>;
  /** Removes the directory with the credentials; safe to call twice. */
  remove(): void;
}

/** Writes the credentials for `image`'s registry; call `remove()` in a finally. */
export function writeAuthFile(dockerAuth: string, image: string, engine: EngineKind): AuthFile {
  const dir = mkdtempSync(join(tmpdir(), 'pier-auth-'));
  const auths = { auths: { [registryHost(image, engine)]: { auth: dockerAuth.trim() } } };
  // podman reads --authfile; docker reads config.json from DOCKER_CONFIG (same format).
  const file = join(dir, engine === 'docker' ? 'config.json' : 'auth.json');
  writeFileSync(file, JSON.stringify(auths), { mode: 0o600 });
  return {
    args: engine === 'podman' ? ['--authfile', file] : [],
    env: engine === 'docker' ? { DOCKER_CONFIG: dir } : {},
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
