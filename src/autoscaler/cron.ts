/**
 * A small 5-field cron matcher (minute hour day-of-month month day-of-week) with `*`,
 * `?`, lists, ranges, steps, month and weekday names and the @daily-style macros —
 * the forms the spec validator (src/spec/cron.ts) accepts. Written here rather than
 * installed: it is ~150 lines and scheduled scaling needs nothing more.
 *
 * Day matching follows Vixie cron: when both day-of-month and day-of-week are
 * restricted, a day matches if either does. Day-of-week 7 is Sunday, like 0.
 */

export type CronTz = 'local' | 'UTC';

export interface CronExpr {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  daysRestricted: boolean;
  weekdaysRestricted: boolean;
}

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface Field {
  min: number;
  max: number;
  names?: string[];
  nameBase?: number;
}
const FIELDS: Field[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { min: 0, max: 7, names: WEEKDAYS, nameBase: 0 },
];

function atom(text: string, f: Field, expr: string): number {
  let n: number | undefined;
  if (/^\d+$/.test(text)) n = Number(text);
  else if (f.names) {
    const i = f.names.indexOf(text.toUpperCase());
    if (i >= 0) n = i + (f.nameBase ?? 0);
  }
  if (n === undefined || n < f.min || n > f.max) throw new RangeError(`cron "${expr}": "${text}" is out of range`);
  return n;
}

function parseField(text: string, f: Field, expr: string): { values: Set<number>; restricted: boolean } {
  const values = new Set<number>();
  let restricted = true;
  for (const part of text.split(',')) {
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined || range === undefined || range === '')
      throw new RangeError(`cron "${expr}": bad "${part}"`);
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new RangeError(`cron "${expr}": bad step "${stepText}"`);
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      lo = f.min;
      hi = f.max;
      if (stepText === undefined) restricted = false;
    } else {
      const [a, b, more] = range.split('-');
      if (more !== undefined) throw new RangeError(`cron "${expr}": bad range "${range}"`);
      lo = atom(a as string, f, expr);
      hi = b === undefined ? (stepText === undefined ? lo : f.max) : atom(b, f, expr);
      if (hi < lo) throw new RangeError(`cron "${expr}": range "${range}" runs backwards`);
    }
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { values, restricted };
}

/** Parses a schedule; throws RangeError on a malformed one (the spec validator rejects those first). */
export function parseCron(expr: string): CronExpr {
  const text = MACROS[expr.trim().toLowerCase()] ?? expr.trim();
  const parts = text.split(/\s+/);
  if (parts.length !== 5) throw new RangeError(`cron "${expr}": needs 5 fields`);
  const [mi, h, d, mo, w] = parts.map((p, i) => parseField(p, FIELDS[i] as Field, expr));
  const weekdays = new Set([...(w?.values ?? [])].map((v) => v % 7));
  return {
    minutes: mi!.values,
    hours: h!.values,
    days: d!.values,
    months: mo!.values,
    weekdays,
    daysRestricted: d!.restricted,
    weekdaysRestricted: w!.restricted,
  };
}

interface Parts {
  minute: number;
  hour: number;
  day: number;
  month: number;
  weekday: number;
}

function partsOf(at: number, tz: CronTz): Parts {
  const d = new Date(at);
  return tz === 'UTC'
    ? {
        minute: d.getUTCMinutes(),
        hour: d.getUTCHours(),
        day: d.getUTCDate(),
        month: d.getUTCMonth() + 1,
        weekday: d.getUTCDay(),
      }
    : { minute: d.getMinutes(), hour: d.getHours(), day: d.getDate(), month: d.getMonth() + 1, weekday: d.getDay() };
}

/** Whether the day (day-of-month, month, weekday) matches; minute and hour are ignored. */
export function matchesDay(c: CronExpr, p: Pick<Parts, 'day' | 'month' | 'weekday'>): boolean {
  if (!c.months.has(p.month)) return false;
  const dom = c.days.has(p.day);
  const dow = c.weekdays.has(p.weekday);
  if (c.daysRestricted && c.weekdaysRestricted) return dom || dow;
  return dom && dow;
}

export function matchesCron(c: CronExpr, at: number, tz: CronTz = 'local'): boolean {
  const p = partsOf(at, tz);
  return matchesDay(c, p) && c.hours.has(p.hour) && c.minutes.has(p.minute);
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * The first whole minute strictly after `after` that the schedule matches, or
 * undefined when none falls in the next 5 years (e.g. "0 0 30 2 *"). Skips whole
 * days and hours that cannot match, so a search costs at most a few thousand steps.
 */
export function nextCronTime(expr: string | CronExpr, after: number, tz: CronTz = 'local'): number | undefined {
  const c = typeof expr === 'string' ? parseCron(expr) : expr;
  let t = Math.floor(after / MINUTE) * MINUTE + MINUTE;
  const limit = after + 5 * 366 * 24 * HOUR;
  while (t <= limit) {
    const p = partsOf(t, tz);
    if (!matchesDay(c, p)) {
      t = startOfNextDay(t, tz);
      continue;
    }
    if (!c.hours.has(p.hour)) {
      t = t - p.minute * MINUTE + HOUR; // next whole hour (DST shifts are whole hours)
      continue;
    }
    if (!c.minutes.has(p.minute)) {
      t += MINUTE;
      continue;
    }
    return t;
  }
  return undefined;
}

function startOfNextDay(t: number, tz: CronTz): number {
  const d = new Date(t);
  if (tz === 'UTC') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
}

/** Calendar parts for excludeDates matching. */
export function dayParts(at: number, tz: CronTz): { year: number; day: number; month: number; weekday: number } {
  const d = new Date(at);
  const p = partsOf(at, tz);
  return { year: tz === 'UTC' ? d.getUTCFullYear() : d.getFullYear(), day: p.day, month: p.month, weekday: p.weekday };
}
