/**
 * `pier traffic NAME 2=50 3=50` and `pier promote NAME 3`: revision traffic
 * inside a service (Knative-style; `pier modify NAME -s FILE --traffic 10` starts
 * the canary). The control plane checks the values; here only the shape.
 */

import type { RevisionTrafficView, ServiceDescription } from '../../api/index.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { table } from '../output.js';

/** `2=50 3=50` → {"2": 50, "3": 50}; sums and revisions are the control plane's to check. */
export function parseTrafficAssignments(assignments: string[]): Record<string, number> {
  if (assignments.length === 0) {
    throw new CliError(2, 'give the split as REVISION=PERCENT pairs, e.g. pier traffic NAME 2=90 3=10');
  }
  const out: Record<string, number> = {};
  for (const a of assignments) {
    const m = /^([1-9]\d*)=(\d+)$/.exec(a);
    if (!m)
      throw new CliError(2, `"${a}" is not REVISION=PERCENT; write e.g. 2=90 3=10 (whole percents summing to 100)`);
    if (m[1]! in out) throw new CliError(2, `revision ${m[1]} is given twice`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** `--traffic 10` → 10; the range (1–99) is the control plane's to check. */
export function parseCanaryPercent(raw: string): number {
  const m = /^(\d+)%?$/.exec(raw.trim());
  if (!m)
    throw new CliError(2, `--traffic must be a whole percent for the new revision, e.g. --traffic 10; got "${raw}"`);
  return Number(m[1]);
}

export function setTraffic(ctx: CommandContext, name: string, assignments: string[]): Promise<ServiceDescription> {
  return ctx.client.setTraffic(name, parseTrafficAssignments(assignments));
}

export function promote(ctx: CommandContext, name: string, raw: string): Promise<ServiceDescription> {
  if (!/^[1-9]\d*$/.test(raw)) throw new CliError(2, `revision must be a whole number ≥ 1, got "${raw}"`);
  return ctx.client.promote(name, Number(raw));
}

/** The service splits its traffic (older servers send no `traffic`: the current revision takes it all). */
export function isSplit(s: ServiceDescription): boolean {
  const t = s.traffic ?? [];
  return t.length > 1 || (t.length === 1 && t[0]!.revision !== s.revision);
}

/** The split as `desc` and `traffic` print it. */
export function trafficTable(traffic: readonly RevisionTrafficView[]): string[] {
  return table(
    ['  REVISION', 'PERCENT', 'READY'],
    traffic.map((t) => [`  ${t.revision}`, `${t.percent}%`, t.readyInstances]),
  );
}

export function trafficLines(s: ServiceDescription): string[] {
  return [`Service ${s.name}: current revision ${s.revision}; traffic:`, ...trafficTable(s.traffic)];
}
