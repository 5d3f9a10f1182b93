/** `pier group list | desc | traffic`: service groups (metadata.group) and how they share traffic. */

import { type Command, Option } from 'commander';
import type { GroupDescription, GroupSummary, GroupTrafficRequest } from '../../api/index.js';
import type { CommandContext, OutputFormat } from '../context.js';
import { CliError } from '../errors.js';
import { isoTime, keyValues, print, table } from '../output.js';

type Opts = Record<string, unknown> & { output?: OutputFormat };

export function listTable(groups: GroupSummary[]): string[] {
  return table(
    ['NAME', 'MODE', 'MEMBERS', 'ENDPOINT'],
    groups.map((g) => [g.name, g.mode, g.members.map((m) => m.service).join(','), g.endpoint]),
  );
}

export function descTable(g: GroupDescription): string[] {
  const total = g.members.reduce((n, m) => n + m.requests, 0);
  const measured = (n: number) => (total === 0 ? '-' : `${((n / total) * 100).toFixed(1)}%`);
  return [
    ...keyValues([
      ['Name', g.name],
      ['Endpoint', g.endpoint],
      ['Token', g.token],
      ['Mode', g.mode === 'auto' ? 'auto (by ready instances)' : 'custom (by weight)'],
      ['Affinity', g.affinity ? `${g.affinity.kind} ${g.affinity.key}` : 'none'],
      ['Created', isoTime(g.createdAt)],
    ]),
    'Members:',
    ...table(
      ['  SERVICE', 'WEIGHT', 'READY', 'TRAFFIC', 'SHARE', 'REQUESTS', 'MEASURED'],
      g.members.map((m) => [
        `  ${m.service}`,
        m.weight,
        m.ready,
        m.standalone ? 'standalone' : 'grouping',
        `${m.share}%`,
        m.requests,
        measured(m.requests),
      ]),
    ),
    `Pin a member with ${g.endpoint}.<service> or the header X-Pier-Service: <service>.`,
  ];
}

/** `svcA=90 svcB=10` and the flags → a traffic request. */
export function trafficRequest(
  assignments: string[],
  o: {
    mode?: string;
    standalone?: string[];
    grouping?: string[];
    affinityHeader?: string;
    affinityCookie?: string;
    affinity?: boolean;
  },
): GroupTrafficRequest {
  const req: GroupTrafficRequest = {};
  const weights: Record<string, number> = {};
  for (const a of assignments) {
    const m = /^([A-Za-z][A-Za-z0-9_]*)=(\d+)$/.exec(a);
    if (!m) throw new CliError(2, `"${a}" is not SERVICE=WEIGHT; write e.g. svcA=90 svcB=10 (weights 0–1000)`);
    weights[m[1]!] = Number(m[2]);
  }
  if (assignments.length > 0) req.weights = weights;
  if (o.mode !== undefined) req.mode = o.mode as 'auto' | 'custom';
  const standalone: Record<string, boolean> = {};
  for (const s of o.standalone ?? []) standalone[s] = true;
  for (const s of o.grouping ?? []) standalone[s] = false;
  if (Object.keys(standalone).length > 0) req.standalone = standalone;
  if (o.affinityHeader !== undefined && o.affinityCookie !== undefined) {
    throw new CliError(2, 'give one of --affinity-header and --affinity-cookie');
  }
  if (o.affinityHeader !== undefined) req.affinity = { header: o.affinityHeader };
  else if (o.affinityCookie !== undefined) req.affinity = { cookie: o.affinityCookie };
  else if (o.affinity === false) req.affinity = null;
  if (Object.keys(req).length === 0) {
    throw new CliError(
      2,
      'nothing to change: give weights (svcA=90 svcB=10), --mode, --standalone/--grouping or an affinity',
    );
  }
  return req;
}

const outputOption = () =>
  new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']).default('table');
const collect = (value: string, previous: string[]) => [...previous, value];

export function registerGroupCommands(program: Command, ctx: CommandContext): void {
  const { out } = ctx;
  const group = program
    .command('group')
    .description('service groups: one endpoint over services that name it in metadata.group');
  group
    .command('list')
    .alias('ls')
    .description('list service groups')
    .addOption(outputOption())
    .action(async (o: Opts) => {
      const list = await ctx.client.groups();
      print(out, o.output!, list, () => listTable(list));
    });
  group
    .command('desc')
    .alias('describe')
    .description('show a group: endpoint, token, mode, members with weights, share now and the measured split')
    .argument('<group>')
    .addOption(outputOption())
    .action(async (name: string, o: Opts) => {
      const g = await ctx.client.group(name);
      print(out, o.output!, g, () => descTable(g));
    });
  group
    .command('traffic')
    .description('set how a group shares traffic: pier group traffic G svcA=90 svcB=10 (weights 0–1000 make it custom)')
    .argument('<group>')
    .argument('[weights...]', 'SERVICE=WEIGHT pairs')
    .addOption(
      new Option('--mode <mode>', 'auto (by ready instances) or custom (by weight)').choices(['auto', 'custom']),
    )
    .option('--standalone <service>', 'the member takes no group traffic (repeatable)', collect, [])
    .option('--grouping <service>', 'the member takes its share again (repeatable)', collect, [])
    .option('--affinity-header <name>', 'sticky routing by this request header')
    .option('--affinity-cookie <name>', 'sticky routing by this cookie')
    .option('--no-affinity', 'turn sticky routing off')
    .addOption(outputOption())
    .action(async (name: string, weights: string[], o: Opts) => {
      const req = trafficRequest(weights, o as Parameters<typeof trafficRequest>[1]);
      const g = await ctx.client.groupTraffic(name, req);
      print(out, o.output!, g, () => descTable(g));
    });
}
