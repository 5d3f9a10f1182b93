/**
 * Waits for a service to settle after create/modify, with EASCMD's progress line
 * `[Total: N, Pending: p, Running: r]`, and explains a failure: the reason, the
 * failing instance and its last state, recent Warning events, its last log lines.
 */

import type { Writable } from 'node:stream';
import type { InstanceView, ServiceDescription } from '../api/index.js';
import type { CommandContext } from './context.js';
import { CliError } from './errors.js';
import { isoTime } from './output.js';

export interface WaitOptions {
  /** Seconds before giving up (exit 1). */
  timeoutSeconds: number;
  /** Where the progress line goes (stderr when stdout carries JSON). */
  progress: Writable;
  progressIsTty: boolean;
}

export function progressLine(s: ServiceDescription): string {
  return `[Total: ${s.instances.total}, Pending: ${s.instances.pending}, Running: ${s.instances.running}]`;
}

/** Resolves with the Running (or Stopped) description; throws CliError(1) when Failed or on timeout. */
export async function waitForService(
  ctx: CommandContext,
  name: string,
  opts: WaitOptions,
): Promise<ServiceDescription> {
  const deadline = ctx.clock.now() + opts.timeoutSeconds * 1000;
  let last = '';
  const show = (line: string) => {
    if (line === last) return;
    opts.progress.write(opts.progressIsTty ? `\r${line}\x1b[K` : `${line}\n`);
    last = line;
  };
  const endLine = () => {
    if (opts.progressIsTty && last) opts.progress.write('\n');
  };
  const seen = new Set<string>();
  const note = (line: string) => {
    opts.progress.write(opts.progressIsTty ? `\r\x1b[K${line}\n` : `${line}\n`);
    last = '';
  };
  for (;;) {
    const service = await ctx.client.describe(name);
    if (service.instances.ready < service.desired) await showPreparation(ctx, name, seen, note);
    show(progressLine(service));
    if (service.status === 'Running' || service.status === 'Stopped') {
      endLine();
      return service;
    }
    if (service.status === 'Failed') {
      endLine();
      throw new CliError(1, `service ${name} failed${service.reason ? `: ${service.reason}` : ''}`, {
        details: await failureReport(ctx, service),
        hint: `see "pier events ${name}" and "pier logs ${name}"; fix the spec and run "pier modify ${name} -s FILE"`,
      });
    }
    if (ctx.clock.now() >= deadline) {
      endLine();
      const i = service.instances;
      throw new CliError(
        1,
        `timed out after ${opts.timeoutSeconds} s waiting for ${name} to be Running (status ${service.status}, ${i.ready}/${service.desired} ready)`,
        { hint: `it keeps going in the background; follow it with "pier w ${name}" and "pier events ${name}"` },
      );
    }
    await ctx.clock.sleep(ctx.pollMs);
  }
}

/**
 * Lines Pier writes to a starting instance's log (`[pier] …`: virtualenv and pip
 * progress, storage sync), shown once each while the service is not ready yet.
 * Best effort: a failed fetch shows nothing.
 */
async function showPreparation(ctx: CommandContext, name: string, seen: Set<string>, note: (line: string) => void) {
  try {
    const starting = (await ctx.client.instances(name)).filter((i) => i.state === 'Pending' || i.state === 'Starting');
    for (const i of starting.slice(0, 2)) {
      const text = await ctx.client.logs(name, { instance: i.id, tail: 20 });
      for (const line of text.split('\n')) {
        if (!line.startsWith('[pier] ') || seen.has(`${i.id}${line}`)) continue;
        seen.add(`${i.id}${line}`);
        note(`  ${i.id}: ${line.slice('[pier] '.length)}`);
      }
    }
  } catch {
    // progress is a courtesy; the wait goes on
  }
}

/** Best effort: every part that cannot be fetched is left out. */
export async function failureReport(ctx: CommandContext, service: ServiceDescription): Promise<string[]> {
  const lines: string[] = [];
  if (service.message) lines.push(`  message: ${indent(service.message)}`);
  const instances = await ctx.client.instances(service.name).catch(() => [] as InstanceView[]);
  const failing = pickFailing(instances);
  if (failing) {
    const why = failing.reason && failing.reason !== failing.state ? ` (${failing.reason})` : '';
    lines.push(`instance ${failing.id}: ${failing.state}${why}`);
    if (failing.message) lines.push(`  message: ${indent(failing.message)}`);
    if (failing.lastState) {
      const ls = failing.lastState;
      const how = ls.signal ? `signal ${ls.signal}` : `exit code ${ls.exitCode}`;
      lines.push(
        `  last state: ${ls.reason}, ${how}, at ${isoTime(ls.finishedAt)}${ls.message ? `: ${ls.message}` : ''}`,
      );
    }
    for (const [kind, probe] of Object.entries(failing.probes ?? {})) {
      if (probe && probe.result === 'failure') lines.push(`  ${kind} probe: ${probe.message}`);
    }
  }
  const events = await ctx.client.events(service.name, { limit: 50 }).catch(() => []);
  const warnings = events.filter((e) => e.type === 'Warning').slice(-5);
  if (warnings.length > 0) {
    lines.push('recent warnings:');
    // First lines only: log excerpts inside event messages are shown once, below.
    for (const e of warnings) lines.push(`  ${e.reason}${e.instance ? ` ${e.instance}` : ''}: ${firstLine(e.message)}`);
  }
  if (failing) {
    const log = await ctx.client.logs(service.name, { instance: failing.id, tail: 20 }).catch(() => '');
    const logLines = log.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);
    if (logLines.length > 0) {
      lines.push(`last ${logLines.length} log lines of ${failing.id}:`);
      for (const l of logLines) lines.push(`  | ${l}`);
    }
  }
  return lines;
}

function pickFailing(instances: InstanceView[]): InstanceView | undefined {
  return (
    instances.find((i) => i.state === 'Failed' || i.state === 'CrashLoopBackOff') ??
    instances.find((i) => !i.ready && i.lastState) ??
    instances.find((i) => !i.ready)
  );
}

function indent(text: string): string {
  return text.replace(/\n/g, '\n    ');
}

function firstLine(text: string): string {
  const cut = text.indexOf('\n');
  return cut < 0 ? text : `${text.slice(0, cut)} …`;
}
