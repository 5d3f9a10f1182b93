/**
 * Reading instances' logs for `pier logs`: one instance's file as it is, or every
 * live instance's, each line prefixed with the instance id. With no instance
 * running (stopped, failed), the most recent ones that left logs are shown.
 */

import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { LogQuery } from '../../api/index.js';
import { PierError } from '../../errors.js';
import { followLog, readLogTail } from '../../runtime/index.js';

export class ServiceLogs {
  constructor(
    private readonly home: string,
    /** Ids of the service's instances now. */
    private readonly liveIds: (service: string) => string[],
  ) {}

  async tail(name: string, query: LogQuery): Promise<string> {
    const dirs = this.dirs(name, query.instance);
    const lines = query.tail ?? 200;
    if (dirs.length === 1 && query.instance) return readLogTail(dirs[0].dir, lines);
    const parts = await Promise.all(dirs.map(async ({ id, dir }) => prefixLines(await readLogTail(dir, lines), id)));
    return parts.join('');
  }

  async follow(name: string, query: LogQuery, onChunk: (text: string) => void, signal: AbortSignal): Promise<void> {
    const dirs = this.dirs(name, query.instance);
    const single = dirs.length === 1 && query.instance !== undefined;
    await Promise.all(
      dirs.map(({ id, dir }) =>
        followLog(dir, (text) => onChunk(single ? text : prefixLines(text, id)), signal, { fromEnd: true }),
      ),
    );
  }

  private dirs(name: string, instance?: string): { id: string; dir: string }[] {
    const root = path.join(this.home, 'logs', name);
    if (instance !== undefined) {
      const dir = path.join(root, instance);
      if (!/^[A-Za-z0-9_.-]+$/.test(instance) || !existsSync(dir)) {
        throw new PierError(
          'INSTANCE_NOT_FOUND',
          `instance "${instance}" of service "${name}" has no logs; see "pier w ${name}"`,
        );
      }
      return [{ id: instance, dir }];
    }
    const live = this.liveIds(name);
    if (live.length > 0) return live.map((id) => ({ id, dir: path.join(root, id) })).filter((d) => existsSync(d.dir));
    if (!existsSync(root)) return [];
    return readdirSync(root)
      .map((id) => ({ id, dir: path.join(root, id), at: statSync(path.join(root, id)).mtimeMs }))
      .sort((a, b) => b.at - a.at)
      .slice(0, 3)
      .map(({ id, dir }) => ({ id, dir }));
  }
}

export function prefixLines(text: string, id: string): string {
  if (!text) return '';
  const lines = text.split('\n');
  const last = lines.pop();
  const out = lines.map((l) => `[${id}] ${l}\n`).join('');
  return last ? `${out}[${id}] ${last}` : out;
}
