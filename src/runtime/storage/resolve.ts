/**
 * Turns the plan's mounts (`storage[]`) into host directories before an instance starts: `local` is the
 * host path itself, `empty_dir` a directory of the instance's own (processes) or an
 * engine volume/tmpfs (containers), `oss` a synced cache directory, `nfs` a host
 * mount point. Shared by both runtimes; they differ only in how they present it.
 */

import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { Clock } from '../../clock.js';
import type { MountPlan } from '../../platform/plan/index.js';
import { acquireLock } from '../prepare/lock.js';
import type { PierRuntimeConfig } from '../types.js';
import { ensureNfs } from './nfs.js';
import { ossCacheDir, parseOssPath, syncOss } from './oss.js';

export interface ResolvedMount {
  index: number;
  mountPath: string;
  kind: 'local' | 'empty_dir' | 'oss' | 'nfs';
  readOnly: boolean;
  /** The host directory; absent for a container's empty_dir (the engine makes it). */
  hostPath?: string;
  /** empty_dir with `medium: memory`. */
  memory?: boolean;
}

export interface ResolveContext {
  /** The instance plan's mounts (makeInstancePlan), in `storage[]` order. */
  mounts: MountPlan[];
  /** The instance's working dir; a process's empty_dir lives in `<workDir>/empty_dir/<n>`. */
  workDir: string;
  config?: PierRuntimeConfig;
  clock: Clock;
  log: (line: string) => void;
  /** Containers: empty_dir is left to the engine. */
  forContainer: boolean;
}

export type ResolveResult = { ok: true; mounts: ResolvedMount[] } | { ok: false; message: string };

export async function resolveMounts(ctx: ResolveContext): Promise<ResolveResult> {
  const mounts: ResolvedMount[] = [];
  for (const { index, mountPath, source } of ctx.mounts) {
    const at = `storage[${index}]`;
    const base = { index, mountPath };
    try {
      if (source.kind === 'local') {
        if (!isAbsolute(source.path) || !existsSync(source.path) || !statSync(source.path).isDirectory()) {
          throw new Error(`${at}.local.path ${JSON.stringify(source.path)} is not an existing directory on this host`);
        }
        mounts.push({ ...base, kind: 'local', readOnly: source.readOnly, hostPath: source.path });
      } else if (source.kind === 'empty_dir') {
        const memory = source.medium === 'memory';
        const hostPath = ctx.forContainer ? undefined : join(ctx.workDir, 'empty_dir', String(index));
        if (hostPath) mkdirSync(hostPath, { recursive: true });
        mounts.push({ ...base, kind: 'empty_dir', readOnly: false, memory, hostPath });
      } else if (source.kind === 'oss') {
        mounts.push({
          ...base,
          kind: 'oss',
          readOnly: source.readOnly,
          hostPath: await syncOssMount(ctx, at, source.path),
        });
      } else {
        const home = ctx.config?.home ?? ctx.workDir;
        mounts.push({ ...base, kind: 'nfs', readOnly: source.readOnly, hostPath: await ensureNfs(home, source, at) });
      }
    } catch (err) {
      return { ok: false, message: err instanceof Error ? err.message : String(err) };
    }
  }
  return { ok: true, mounts };
}

async function syncOssMount(ctx: ResolveContext, at: string, path: string): Promise<string> {
  const cfg = ctx.config?.oss;
  if (!cfg || !ctx.config) {
    throw new Error(
      `${at}.oss (${path}): no S3-compatible endpoint is configured; set oss.endpoint (and accessKeyId/secretAccessKey) ` +
        "in Pier's configuration, or use a local mount instead",
    );
  }
  const loc = parseOssPath(path);
  if (!loc) throw new Error(`${at}.oss.path ${JSON.stringify(path)} is not oss://bucket/prefix`);
  const dir = ossCacheDir(ctx.config.home, loc);
  mkdirSync(dirname(dir), { recursive: true });
  const release = await acquireLock(`${dir}.lock`, ctx.clock, 30 * 60_000);
  if (!release) throw new Error(`${at}.oss: another sync of ${dir} did not finish in time`);
  try {
    ctx.log(`${at}: syncing ${path} from ${cfg.endpoint} into ${dir}`);
    const n = await syncOss(cfg, loc, dir, ctx.clock);
    ctx.log(`${at}: ${n} object(s) downloaded`);
    return dir;
  } catch (err) {
    throw new Error(`${at}.oss (${path}) from ${cfg.endpoint}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    release();
  }
}
