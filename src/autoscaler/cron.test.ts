import { describe, expect, it } from 'vitest';
import { matchesCron, nextCronTime, parseCron } from './cron.js';
import { cronTarget, isExcludedDay } from './cron-target.js';

const utc = (s: string) => Date.parse(s + 'Z');
const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString().slice(0, 16));

describe('parseCron', () => {
  it.each([
    ['*/15 * * * *', 'minutes', [0, 15, 30, 45]],
    ['0 8-10 * * *', 'hours', [8, 9, 10]],
    ['0 0 1,15 * *', 'days', [1, 15]],
    ['0 0 * JAN-MAR *', 'months', [1, 2, 3]],
    ['0 0 * * MON-FRI', 'weekdays', [1, 2, 3, 4, 5]],
    ['0 0 * * 7', 'weekdays', [0]],
    ['5/20 * * * *', 'minutes', [5, 25, 45]],
    ['@hourly', 'minutes', [0]],
  ] as const)('%s → %s', (expr, field, values) => {
    expect([...parseCron(expr)[field]].sort((a, b) => a - b)).toEqual(values);
  });

  it.each(['* * * *', '60 * * * *', '0 25 * * *', '0 0 0 * *', '*/0 * * * *', '5-1 * * * *', 'x * * * *'])(
    'rejects %s',
    (expr) => {
      expect(() => parseCron(expr)).toThrow(RangeError);
    },
  );
});

describe('nextCronTime', () => {
  it.each([
    ['0 8 * * *', '2024-03-10T07:59', '2024-03-10T08:00'],
    ['0 8 * * *', '2024-03-10T08:00', '2024-03-11T08:00'],
    ['*/15 * * * *', '2024-03-10T08:01', '2024-03-10T08:15'],
    ['30 9 * * MON-FRI', '2024-03-08T10:00', '2024-03-11T09:30'], // Friday → Monday
    ['0 0 29 2 *', '2024-03-01T00:00', '2028-02-29T00:00'],
    ['0 0 1 * 1', '2024-04-02T00:00', '2024-04-08T00:00'], // dom OR dow: next Monday before 1 May
    ['@monthly', '2024-12-15T12:00', '2025-01-01T00:00'],
  ])('%s after %s → %s', (expr, after, want) => {
    expect(iso(nextCronTime(expr, utc(after), 'UTC'))).toBe(want);
  });

  it('is undefined for a date that never comes', () => {
    expect(nextCronTime('0 0 30 2 *', utc('2024-01-01T00:00'), 'UTC')).toBeUndefined();
  });

  it('matches in local time by default', () => {
    const local = new Date(2024, 5, 3, 8, 0).getTime(); // 3 June 2024 08:00 local, a Monday
    expect(matchesCron(parseCron('0 8 3 6 *'), local)).toBe(true);
    expect(nextCronTime('0 8 * * *', local - 60_000)).toBe(local);
  });
});

describe('excludeDates', () => {
  it.each([
    ['2024-12-25', '2024-12-25T08:00', true],
    ['2024-12-25', '2024-12-26T08:00', false],
    ['* * 1 1 *', '2025-01-01T08:00', true],
    ['0 0 1 1 *', '2025-01-01T23:00', true],
    ['* * * * 0,6', '2024-03-09T08:00', true], // Saturday
    ['* * * * 0,6', '2024-03-11T08:00', false],
    ['not a date', '2024-03-11T08:00', false],
  ])('%s excludes %s: %s', (entry, at, want) => {
    expect(isExcludedDay([entry], utc(at), 'UTC')).toBe(want);
  });
});

describe('cronTarget', () => {
  const config = {
    scaleJobs: [
      { name: 'morning', schedule: '0 8 * * *', targetSize: 4 },
      { name: 'night', schedule: '0 20 * * *', targetSize: 1 },
    ],
    excludeDates: ['2024-03-10'],
  };

  it('returns the job that fired since the last check', () => {
    const fire = cronTarget(config, utc('2024-03-11T08:00'), utc('2024-03-11T07:59'), 'UTC');
    expect(fire).toEqual({ name: 'morning', targetSize: 4, at: utc('2024-03-11T08:00') });
  });

  it('returns nothing when no job fired in the interval', () => {
    expect(cronTarget(config, utc('2024-03-11T09:00'), utc('2024-03-11T08:01'), 'UTC')).toBeUndefined();
  });

  it('takes the latest of several fires', () => {
    const fire = cronTarget(config, utc('2024-03-11T21:00'), utc('2024-03-11T07:00'), 'UTC');
    expect(fire?.name).toBe('night');
  });

  it('skips excluded days', () => {
    expect(cronTarget(config, utc('2024-03-10T08:00'), utc('2024-03-10T07:59'), 'UTC')).toBeUndefined();
  });

  it('without a previous check looks at the last minute only', () => {
    expect(cronTarget(config, utc('2024-03-11T08:00'), undefined, 'UTC')?.name).toBe('morning');
    expect(cronTarget(config, utc('2024-03-11T08:02'), undefined, 'UTC')).toBeUndefined();
  });
});
