import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const rows = [...doc.matchAll(/^\|\s*`?([A-Z_]+)`?\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [m[1]!, Number(m[2])] as const);

describe('docs/errors.md', () => {
  it('lists every code in ERROR_CODES with its HTTP status', () => {
    for (const [code, status] of Object.entries(ERROR_CODES)) {
      expect(rows, code).toContainEqual([code, status]);
    }
  });

  it('lists no code that ERROR_CODES does not have, and each once', () => {
    const codes = rows.map(([code]) => code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });
});
