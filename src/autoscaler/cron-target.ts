/**
 * Scheduled scaling (EAS `cronscaler`): which scale job fired since the last check.
 *
 * `excludeDates` entries take two forms:
 *   - `YYYY-MM-DD`: that calendar day (in the schedule's time zone);
 *   - a cron expression: its day fields (day-of-month, month, day-of-week) name the
 *     days to skip and its minute and hour fields are ignored, as EAS writes them
 *     (`"* * 1 1 *"` or `"0 0 1 1 *"` = every 1 January, `"* * * * 0,6"` = weekends).
 * A job whose fire time falls on an excluded day does not fire that day.
 */
import type { CronscalerSpec } from '../spec/index.js';
import { type CronExpr, type CronTz, dayParts, matchesDay, nextCronTime, parseCron } from './cron.js';

export interface CronFire {
  name: string;
  targetSize: number;
  /** When the job fired. */
  at: number;
}

/** Longest look-back; a check that was missed for longer only sees the last week. */
const MAX_LOOKBACK_MS = 7 * 24 * 3600_000;

export function isExcludedDay(excludeDates: string[] | undefined, at: number, tz: CronTz = 'local'): boolean {
  if (!excludeDates || excludeDates.length === 0) return false;
  const p = dayParts(at, tz);
  for (const entry of excludeDates) {
    const text = entry.trim();
    const ymd = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    if (ymd) {
      if (Number(ymd[1]) === p.year && Number(ymd[2]) === p.month && Number(ymd[3]) === p.day) return true;
      continue;
    }
    let expr: CronExpr;
    try {
      expr = parseCron(text);
    } catch {
      continue; // an entry the matcher cannot read excludes nothing
    }
    if (matchesDay(expr, p)) return true;
  }
  return false;
}

/**
 * The job that fired last in (since, now], skipping excluded days; undefined when none
 * did. With several fires in the interval the latest wins (a later job in the list
 * wins a tie). Without `since`, only the last minute is checked. Jobs with a
 * schedule the matcher cannot read never fire.
 */
export function cronTarget(
  config: CronscalerSpec,
  now: number,
  since?: number,
  tz: CronTz = 'local',
): CronFire | undefined {
  const from = Math.max(since ?? now - 60_000, now - MAX_LOOKBACK_MS);
  let best: CronFire | undefined;
  for (const job of config.scaleJobs) {
    let expr: CronExpr;
    try {
      expr = parseCron(job.schedule);
    } catch {
      continue;
    }
    let last: number | undefined;
    for (let t = nextCronTime(expr, from, tz); t !== undefined && t <= now; t = nextCronTime(expr, t, tz)) {
      if (!isExcludedDay(config.excludeDates, t, tz)) last = t;
    }
    if (last !== undefined && (!best || last >= best.at))
      best = { name: job.name, targetSize: job.targetSize, at: last };
  }
  return best;
}
