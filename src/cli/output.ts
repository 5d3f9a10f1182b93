/** Printing is separate from commands: tables for people, `-o json|yaml` for programs. */

import type { Writable } from 'node:stream';
import { stringify } from 'yaml';
import type { OutputFormat } from './context.js';

export function render(format: OutputFormat, data: unknown, table: () => string[]): string {
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  if (format === 'yaml') return stringify(data);
  const lines = table();
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

export function print(out: Writable, format: OutputFormat, data: unknown, table: () => string[]): void {
  out.write(render(format, data, table));
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(headers: string[], rows: (string | number | boolean | null | undefined)[][]): string[] {
  const cells = [
    headers,
    ...rows.map((r) => r.map((c) => (c === null || c === undefined || c === '' ? '-' : String(c)))),
  ];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** 2023-11-14T22:13:20Z */
export function isoTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** "45s", "3m", "2h", "4d" since `ms`. */
export function age(ms: number | null | undefined, now: number): string {
  if (ms === null || ms === undefined) return '-';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export function keyValues(pairs: [string, string | number | undefined | null][]): string[] {
  const shown = pairs.filter(([, v]) => v !== undefined && v !== null && v !== '');
  const width = Math.max(...shown.map(([k]) => k.length)) + 1;
  return shown.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`);
}
