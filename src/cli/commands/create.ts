/** `pier create FILE` and `pier modify NAME`: send a spec, then wait like EASCMD. */

import type { ModifyRequest, ModifyResult, ServiceDescription } from '../../api/index.js';
import type { FieldError } from '../../errors.js';
import { parseSetValue } from '../../spec/index.js';
import { type CommandContext, writeLines } from '../context.js';
import { CliError, formatFieldErrors } from '../errors.js';
import { parseSpecFile } from '../spec-file.js';
import { waitForService } from '../wait.js';
import { parseCanaryPercent } from './traffic.js';

export interface WaitFlags {
  wait: boolean;
  timeout: string;
  /** JSON/YAML on stdout: progress goes to stderr. */
  machine: boolean;
}

function printWarnings(ctx: CommandContext, warnings: FieldError[]): void {
  writeLines(ctx.err, formatFieldErrors(warnings, 'warning: '));
}

export function timeoutSeconds(raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(2, `--timeout must be a number of seconds > 0, got "${raw}"`);
  return n;
}

async function settle(ctx: CommandContext, name: string, flags: WaitFlags): Promise<ServiceDescription> {
  return waitForService(ctx, name, {
    timeoutSeconds: timeoutSeconds(flags.timeout),
    progress: flags.machine ? ctx.err : ctx.out,
    progressIsTty: flags.machine ? false : ctx.ttyOut,
  });
}

export async function create(ctx: CommandContext, file: string, flags: WaitFlags): Promise<ServiceDescription> {
  timeoutSeconds(flags.timeout);
  const { value, warnings } = await parseSpecFile(file, ctx.cwd);
  printWarnings(ctx, warnings);
  const created = await ctx.client.create(value);
  printWarnings(ctx, created.warnings);
  const s = created.service;
  const info = flags.machine ? ctx.err : ctx.out;
  writeLines(info, [
    `Service ${s.name} created (revision ${s.revision}).`,
    `Endpoint: ${s.endpoint}`,
    `Token: ${s.token}`,
  ]);
  if (!flags.wait) return s;
  const done = await settle(ctx, s.name, flags);
  writeLines(info, [`Service ${s.name} is ${done.status}.`]);
  return done;
}

export interface ModifyFlags extends WaitFlags {
  spec?: string;
  replace?: boolean;
  set: string[];
  /** `--traffic N`: a canary at N% next to the current revision instead of a rolling update. */
  traffic?: string;
}

/** `-D key=value` → {key: parsed value}; the value parses as JSON where it does, else stays a string. */
export function parseSets(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq).trim() : '';
    if (!key) throw new CliError(2, `-D expects key=value (e.g. -D metadata.instance=3), got "${pair}"`);
    out[key] = parseSetValue(pair.slice(eq + 1));
  }
  return out;
}

export async function modify(ctx: CommandContext, name: string, flags: ModifyFlags): Promise<ModifyResult> {
  timeoutSeconds(flags.timeout);
  if (flags.replace && !flags.spec) throw new CliError(2, '--replace needs a spec file: -s FILE --replace');
  const req: ModifyRequest = {};
  if (flags.spec) {
    const { value, warnings } = await parseSpecFile(flags.spec, ctx.cwd);
    printWarnings(ctx, warnings);
    if (flags.replace) req.replace = value;
    else req.patch = value;
  }
  if (flags.set.length > 0) req.set = parseSets(flags.set);
  if (flags.traffic !== undefined) req.traffic = parseCanaryPercent(flags.traffic);
  if (!req.patch && !req.replace && !req.set) {
    throw new CliError(2, 'nothing to change: pass -s FILE (a partial spec) and/or -D key=value');
  }
  const result = await ctx.client.modify(name, req);
  printWarnings(ctx, result.warnings);
  const info = flags.machine ? ctx.err : ctx.out;
  writeLines(info, [modifySummary(result)]);
  if (!flags.wait || (!result.newRevision && !result.scaled)) return result;
  const service = await settle(ctx, name, flags);
  writeLines(info, [`Service ${name} is ${service.status}.`]);
  return { ...result, service };
}

export function modifySummary(r: ModifyResult): string {
  const s = r.service;
  const canary = s.traffic?.find((t) => t.revision > s.revision);
  if (r.newRevision && s.traffic && s.traffic.length > 1 && canary) {
    return `Service ${s.name}: new revision ${canary.revision} starts next to revision ${s.revision} with ${canary.percent}% of the traffic; promote it with "pier promote ${s.name} ${canary.revision}".`;
  }
  if (r.newRevision) return `Service ${s.name}: new revision ${s.revision} is rolling out.`;
  if (r.scaled)
    return `Service ${s.name}: scaled to ${s.desired} instance${s.desired === 1 ? '' : 's'} (no new revision).`;
  return `Service ${s.name}: nothing changed (revision ${s.revision}).`;
}
