/** A simple check of 5-field cron schedules (minute hour day-of-month month day-of-week). */

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
] as const;

const MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

function atom(text: string, field: (typeof FIELDS)[number]): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  if ('names' in field) {
    const i = (field.names as readonly string[]).indexOf(text.toUpperCase());
    if (i >= 0) return field.name === 'month' ? i + 1 : i;
  }
  return undefined;
}

function checkPart(part: string, field: (typeof FIELDS)[number]): string | undefined {
  const [range, step, extra] = part.split('/');
  if (extra !== undefined || range === '') return `"${part}" is not a valid ${field.name}`;
  if (step !== undefined && !/^[1-9]\d*$/.test(step))
    return `step "${step}" in the ${field.name} must be a positive integer`;
  if (range === '*' || range === '?') return undefined;
  const bounds = range.split('-');
  if (bounds.length > 2) return `"${part}" is not a valid ${field.name}`;
  const values = bounds.map((b) => atom(b, field));
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === undefined) return `"${bounds[i]}" is not a valid ${field.name}`;
    if (v < field.min || v > field.max) {
      return `${field.name} ${v} is out of range ${field.min}–${field.max}`;
    }
  }
  if (values.length === 2 && (values[0] as number) > (values[1] as number)) {
    return `range "${range}" in the ${field.name} runs backwards`;
  }
  return undefined;
}

/** Undefined when the schedule is valid, else what is wrong with it. */
export function checkCron(schedule: string): string | undefined {
  const text = schedule.trim();
  if (MACROS.includes(text.toLowerCase())) return undefined;
  const parts = text.split(/\s+/).filter((p) => p !== '');
  if (parts.length !== 5) {
    return `has ${parts.length} field(s); a schedule has 5: minute hour day-of-month month day-of-week, e.g. "0 8 * * *"`;
  }
  for (let i = 0; i < 5; i++) {
    for (const piece of parts[i].split(',')) {
      const problem = checkPart(piece, FIELDS[i]);
      if (problem) return `is not a valid schedule: ${problem}; e.g. "0 8 * * 1-5" is 08:00 on weekdays`;
    }
  }
  return undefined;
}
