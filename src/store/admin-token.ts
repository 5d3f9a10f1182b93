/**
 * Secrets Pier makes for itself: the admin token (guards the control API) and
 * service tokens. Both are random, url-safe, and the admin token's file is 0600.
 */

import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';

export const ADMIN_TOKEN_FILE = 'admin-token';

/** 32 random bytes as base64url: 43 chars of [A-Za-z0-9_-]. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** `PIER_HOME` (relative to `cwd`), else `<cwd>/.pier`. */
export function resolveHome(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  return env.PIER_HOME ? resolve(cwd, env.PIER_HOME) : join(cwd, '.pier');
}

/**
 * The admin token: `PIER_ADMIN_TOKEN` when set; else the one in `<home>/admin-token`;
 * else a new one written there with mode 0600. A file readable by others is
 * tightened to 0600.
 */
export function ensureAdminToken(home: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.PIER_ADMIN_TOKEN) return env.PIER_ADMIN_TOKEN;
  const file = join(home, ADMIN_TOKEN_FILE);
  const existing = readToken(file);
  if (existing) return existing;

  mkdirSync(home, { recursive: true, mode: 0o700 });
  // Write a temp file, then link it into place: the token appears whole or not at
  // all, and if two processes race, both end up with the one that was linked first.
  const token = generateToken();
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${token}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
  } catch (err) {
    // EEXIST: another process won the race, or an empty/corrupt file is in the way.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const winner = readToken(file);
    if (winner) return winner;
    unlinkSync(file);
    linkSync(tmp, file);
  } finally {
    unlinkSync(tmp);
  }
  syncDir(home);
  return token;
}

/** The token in `file` (mode fixed to 0600), or undefined when missing or empty. */
function readToken(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const token = text.trim();
  if (!token) return undefined;
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return token;
}

/** Makes a new directory entry durable; best effort (not every platform can fsync a directory). */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // ignore: the token itself is already fsynced
  }
}
