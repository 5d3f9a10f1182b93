/** Listing and lifecycle verbs: ls, desc, delete, stop, start, scale, version, revisions. */

import { createInterface } from 'node:readline/promises';
import type { QueueSideView, QueueView, ServiceDescription, ServiceSummary } from '../../api/index.js';
import type { RevisionRecord } from '../../store/index.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { isoTime, keyValues, table } from '../output.js';
import { isSplit, trafficTable } from './traffic.js';

export const list = (ctx: CommandContext): Promise<ServiceSummary[]> => ctx.client.list();

export function listTable(services: ServiceSummary[]): string[] {
  return table(
    ['NAME', 'STATUS', 'REVISION', 'INSTANCES', 'ENDPOINT'],
    services.map((s) => [s.name, s.status, s.revision, `${s.instances.ready}/${s.desired}`, s.endpoint]),
  );
}

export const desc = (ctx: CommandContext, name: string): Promise<ServiceDescription> => ctx.client.describe(name);

export function descTable(s: ServiceDescription): string[] {
  const i = s.instances;
  return [
    ...keyValues([
      ['Name', s.name],
      ['Status', s.status],
      ['Reason', s.reason],
      ['Message', s.message],
      ['Endpoint', s.queues ? undefined : s.endpoint],
      ['Input queue', s.queues?.input],
      ['Sink queue', s.queues?.sink],
      ['Token', s.token],
      ['Group', s.group ? `${s.group.name} (${s.group.endpoint}; "pier group desc ${s.group.name}")` : undefined],
      ['Revision', s.revision],
      ['Instances', `${i.ready}/${s.desired} ready (total ${i.total}, pending ${i.pending}, running ${i.running})`],
      ['Created', isoTime(s.createdAt)],
      ['Updated', isoTime(s.updatedAt)],
      ['Hint', s.hint],
      ['Autoscaler', s.autoscaler ? autoscalerLine(s.autoscaler) : undefined],
    ]),
    'Revisions:',
    ...table(
      ['  REVISION', 'CREATED', 'SUMMARY'],
      s.revisions.map((r) => [`  ${r.number}${r.current ? '*' : ''}`, isoTime(r.createdAt), r.summary]),
    ),
    // Listed when revisions share the traffic, or it all goes to another than the current one.
    ...(isSplit(s) ? ['Traffic:', ...trafficTable(s.traffic)] : []),
  ];
}

export const queue = (ctx: CommandContext, name: string): Promise<QueueView> => ctx.client.queue(name);

export function queueTable(q: QueueView): string[] {
  const oldest = (s: QueueSideView) =>
    s.oldest ? `#${s.oldest.index}, ${Math.round(s.oldest.ageMs / 1000)}s ago` : '-';
  return [
    ...table(
      ['QUEUE', 'LENGTH', 'CONSUMERS', 'OLDEST', 'ENDPOINT'],
      [
        ['input', q.input.length, q.input.consumers, oldest(q.input), q.input.endpoint],
        ['sink', q.sink.length, q.sink.consumers, oldest(q.sink), q.sink.endpoint],
      ],
    ),
    `Instances fed from the input queue: ${q.instances}`,
  ];
}

export async function remove(ctx: CommandContext, name: string, yes: boolean): Promise<{ deleted: string }> {
  if (!yes) {
    if (!ctx.ttyIn) {
      throw new CliError(2, `not deleting ${name} without confirmation`, {
        hint: `pass -y to delete without asking: "pier delete ${name} -y"`,
      });
    }
    const rl = createInterface({ input: ctx.stdin, output: ctx.err, terminal: false });
    const answer = await rl.question(`Delete service ${name} and all its instances? [y/N] `).finally(() => rl.close());
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError(1, `not deleted: ${name}`);
  }
  return ctx.client.delete(name);
}

export const stop = (ctx: CommandContext, name: string) => ctx.client.stop(name);
export const start = (ctx: CommandContext, name: string) => ctx.client.start(name);

export function scale(ctx: CommandContext, name: string, raw: string): Promise<ServiceDescription> {
  return ctx.client.scale(name, parseCount(raw, 'instances', 0));
}

export function version(ctx: CommandContext, name: string, raw: string): Promise<ServiceDescription> {
  return ctx.client.rollback(name, parseCount(raw, 'revision', 1));
}

/** One line after stop/start/scale/version. */
export function statusLine(verb: string, s: ServiceDescription): string[] {
  return [`${verb} ${s.name}: ${s.status}, revision ${s.revision}, ${s.instances.ready}/${s.desired} ready`];
}

export async function revisions(
  ctx: CommandContext,
  name: string,
): Promise<{ current: number; revisions: RevisionRecord[] }> {
  const [list, service] = await Promise.all([ctx.client.revisions(name), ctx.client.describe(name)]);
  return { current: service.revision, revisions: list };
}

export function revisionsTable(data: { current: number; revisions: RevisionRecord[] }): string[] {
  return table(
    ['REVISION', 'CREATED', 'CURRENT', 'SUMMARY'],
    data.revisions.map((r) => [r.number, isoTime(r.createdAt), r.number === data.current ? 'yes' : '', r.summary]),
  );
}

export function parseCount(raw: string, what: string, min: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < min) {
    throw new CliError(2, `${what} must be an integer ≥ ${min}, got "${raw}"`);
  }
  return n;
}

/** One line of autoscaler state: metric values, what it wants, and the last decision and why. */
function autoscalerLine(a: Record<string, unknown>): string {
  const metrics = (a.metrics as { stable?: Record<string, number | undefined> } | undefined)?.stable ?? {};
  const values = Object.entries(metrics)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => `${k} ${(v as number).toFixed(1)}`)
    .join(', ');
  const last = a.lastDecision as { desired: number; reason: string; at: number } | undefined;
  const parts = [
    values ? `metrics: ${values}` : 'metrics: no data yet',
    a.desired !== undefined ? `wants ${a.desired}` : undefined,
    a.panic ? 'burst mode' : undefined,
    last ? `last change → ${last.desired} at ${isoTime(last.at)} (${last.reason})` : undefined,
  ];
  return parts.filter(Boolean).join('; ');
}
