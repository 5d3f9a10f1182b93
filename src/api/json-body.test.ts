/** Issue 12 item 8: a request body nested deeper than any spec is a 400 with the path, before any recursive code sees it. */

import { describe, expect, it } from 'vitest';
import { PierError } from '../errors.js';
import { MAX_DEPTH } from '../spec/index.js';
import { parseJson } from './json-body.js';

function caught(fn: () => unknown): PierError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PierError) return err;
    throw err;
  }
  throw new Error('expected a PierError');
}

describe('parseJson', () => {
  it('parses ordinary JSON', () => {
    expect(parseJson('{"a": [1, {"b": null}]}')).toEqual({ a: [1, { b: null }] });
  });

  it.each([5_000, 100_000])('rejects %i levels with BAD_REQUEST and the path', (n) => {
    const err = caught(() => parseJson(`{"metadata": {"x": ${'['.repeat(n)}${']'.repeat(n)}}}`));
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.httpStatus).toBe(400);
    expect(err.message).toContain(`more than ${MAX_DEPTH} levels`);
    expect(err.errors?.[0].path).toMatch(/^metadata\.x\[0\]\[0\]/);
  });

  it('still reports a syntax error with line and column', () => {
    const err = caught(() => parseJson('{\n  "a": tru\n}'));
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toMatch(/line 2, column/);
  });
});
