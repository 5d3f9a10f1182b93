/** Looking at a service's insides: instances (`w`), events, logs. */

import type { InstanceView } from '../../api/index.js';
import type { EventRecord } from '../../store/index.js';
import type { CommandContext } from '../context.js';
import { age, isoTime, table } from '../output.js';
import { parseCount } from './services.js';

export const instances = (ctx: CommandContext, name: string): Promise<InstanceView[]> => ctx.client.instances(name);

export function instancesTable(list: InstanceView[], now: number): string[] {
  return table(
    ['ID', 'REVISION', 'STATUS', 'READY', 'RESTARTS', 'ADDRESS', 'STARTED', 'LAST STATE', 'PLATFORM'],
    list.map((i) => [
      i.id,
      i.revision,
      i.state,
      i.ready ? 'true' : 'false',
      i.restarts,
      i.address,
      i.startedAt === null ? '-' : `${age(i.startedAt, now)} ago`,
      lastState(i),
      platformDetail(i),
    ]),
  );
}

/** The platform's own words for where the instance runs ("process pid 4242"), for an operator at a shell. */
function platformDetail(i: InstanceView): string {
  const p = i.platform;
  if (p?.kind === 'kubernetes') return p.node ? `pod on ${p.node}` : 'pod';
  if (p?.kind !== 'local') return '-';
  return p.pid !== undefined ? `${p.runtime} pid ${p.pid}` : p.runtime;
}

function lastState(i: InstanceView): string {
  const ls = i.lastState;
  if (!ls) return '-';
  const how = ls.signal ? `signal ${ls.signal}` : `exit ${ls.exitCode}`;
  return `${ls.reason} (${how}) ${isoTime(ls.finishedAt)}`;
}

export function events(
  ctx: CommandContext,
  name: string,
  opts: { since?: string; limit?: string },
): Promise<EventRecord[]> {
  const query: { sinceId?: number; limit?: number } = {};
  if (opts.since !== undefined) query.sinceId = parseCount(opts.since, '--since', 0);
  if (opts.limit !== undefined) query.limit = parseCount(opts.limit, '--limit', 1);
  return ctx.client.events(name, query);
}

/** `pier events -w`: a table row (or a JSON line) per event as it arrives; the header once. */
export async function watchEvents(
  ctx: CommandContext,
  name: string,
  opts: { since?: string; limit?: string; output?: string },
): Promise<void> {
  const query: { sinceId?: number; limit?: number } = {};
  if (opts.since !== undefined) query.sinceId = parseCount(opts.since, '--since', 0);
  if (opts.limit !== undefined) query.limit = parseCount(opts.limit, '--limit', 1);
  let header = true;
  await ctx.client.watchEvents(
    name,
    query,
    (e) => {
      if (opts.output === 'json' || opts.output === 'yaml') {
        ctx.out.write(`${JSON.stringify(e)}\n`);
        return;
      }
      const lines = eventsTable([e]);
      ctx.out.write(`${(header ? lines : lines.slice(1)).join('\n')}\n`);
      header = false;
    },
    ctx.shutdown,
  );
}

export function eventsTable(list: EventRecord[]): string[] {
  return table(
    ['TIME', 'TYPE', 'REASON', 'INSTANCE', 'MESSAGE'],
    list.map((e) => [isoTime(e.time), e.type, e.reason, e.instance, e.message]),
  );
}

export interface LogsOptions {
  instance?: string;
  tail?: string;
  follow?: boolean;
}

/** Prints the tail; with follow, streams until Ctrl-C (the context's shutdown signal). */
export async function logs(ctx: CommandContext, name: string, opts: LogsOptions): Promise<void> {
  const query: { instance?: string; tail?: number } = {};
  if (opts.instance) query.instance = opts.instance;
  if (opts.tail !== undefined) query.tail = parseCount(opts.tail, '--tail', 0);
  if (!opts.follow) {
    ctx.out.write(await ctx.client.logs(name, query));
    return;
  }
  await ctx.client.followLogs(name, query, (text) => ctx.out.write(text), ctx.shutdown);
}
