/** Issue 12 item 8: input nested or sized to crash the validator is an error with a path, never a throw. */

import { describe, expect, it } from 'vitest';
import {
  loadSpecText,
  MAX_DEPTH,
  MAX_ERRORS,
  mergeSpec,
  parseSetValue,
  scanJson,
  setPath,
  validateSpec,
} from './index.js';
import { BASE } from '../../test/support/spec.js';

const head = '{"name": "svc", "containers": [{"command": "python3 app.py", "port": 8000}], "metadata": {"a": ';

function deepText(levels: number, open = '[', close = ']'): string {
  return `${head}${open.repeat(levels)}${close.repeat(levels)}}}`;
}

function deepObject(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

describe('nesting depth (issue 12, item 8)', () => {
  it.each([5_000, 100_000])('rejects %i levels of JSON lists with the path where the limit was crossed', (n) => {
    const r = loadSpecText(deepText(n));
    expect(r.ok).toBe(false);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].path).toMatch(/^metadata\.a\[0\]\[0\]/);
    expect(r.errors[0].message).toMatch(new RegExp(`more than ${MAX_DEPTH} levels`));
    expect(r.errors[0].message).toMatch(/line 1, column \d+/);
  });

  it('rejects deep objects with a readable, truncated path', () => {
    const text = `${head}${'{"b": '.repeat(50_000)}1${'}'.repeat(50_000)}}}`;
    const r = loadSpecText(text);
    expect(r.ok).toBe(false);
    expect(r.errors[0].path).toMatch(/^metadata\.a\.b\.b\.b.*…$/);
    expect(r.errors[0].path.length).toBeLessThan(80);
  });

  it('accepts nesting up to the limit', () => {
    // The root object and metadata are two levels, the value under metadata.a the rest.
    const ok = loadSpecText(deepText(MAX_DEPTH - 2));
    expect(ok.errors).toEqual([]);
    expect(ok.ok).toBe(true);
    expect(loadSpecText(deepText(MAX_DEPTH - 1)).ok).toBe(false);
  });

  it('bounds YAML the same way', () => {
    const flow = `name: svc\ncontainers: [{command: x, port: 8000}]\nmetadata:\n  a: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    const r = loadSpecText(flow, { filename: 'svc.yaml' });
    expect(r.ok).toBe(false);
    expect(r.errors[0].message).toMatch(/nested|levels/);
    const shallow = `name: svc\ncontainers: [{command: x, port: 8000}]\nmetadata:\n  a: ${'['.repeat(200)}${']'.repeat(200)}\n`;
    const s = loadSpecText(shallow, { filename: 'svc.yaml' });
    expect(s.ok).toBe(false);
    expect(s.errors[0].path).toMatch(/^metadata\.a\[0\]/);
  });

  it('validateSpec bounds an already parsed value', () => {
    const r = validateSpec({ ...BASE, metadata: { x: deepObject(100_000) } });
    expect(r.ok).toBe(false);
    expect(r.errors[0].path).toMatch(/^metadata\.x\.a\.a/);
  });

  it('counts dotted metadata keys as nesting', () => {
    const key = Array.from({ length: 10_000 }, (_, i) => `k${i}`).join('.');
    const r = validateSpec({ ...BASE, metadata: { [key]: 1 } });
    expect(r.ok).toBe(false);
    expect(r.errors[0].path).toMatch(/^metadata\.k0\.k1/);
  });

  it('the edit helpers refuse what they could not process', () => {
    const deep = `${'{"a": '.repeat(100_000)}1${'}'.repeat(100_000)}`;
    expect(() => parseSetValue(deep)).toThrow(/levels/);
    const longPath = Array.from({ length: 10_000 }, () => 'a').join('.');
    expect(() => setPath(BASE, `metadata.${longPath}`, 1)).toThrow(/levels/);
    expect(() => mergeSpec(BASE, { metadata: deepObject(100_000) })).toThrow(/levels/);
  });

  it('the scanner itself does not recurse without bound', () => {
    const scan = scanJson('['.repeat(1_000_000));
    expect(scan.error?.path).toMatch(/^\[0\]\[0\]/);
  });
});

describe('size', () => {
  it('a 20 MB string is scanned without overflowing', () => {
    const text = JSON.stringify({ ...BASE, containers: [{ command: 'x'.repeat(20_000_000), port: 8000 }] });
    const r = loadSpecText(text);
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('a huge list is one error, checked before its items', () => {
    const env = Array.from({ length: 100_000 }, () => ({ name: '1bad' }));
    const r = validateSpec({ ...BASE, containers: [{ command: 'x', port: 8000, env }] });
    expect(r.errors).toEqual([
      { path: 'containers[0].env', message: 'env has 100000 items; at most 1000 are allowed, so remove some' },
    ]);
  });

  it('many bad items give a bounded list of errors', () => {
    const env = Array.from({ length: 1000 }, () => ({ name: '1bad' }));
    const r = validateSpec({ ...BASE, containers: [{ command: 'x', port: 8000, env }] });
    expect(r.ok).toBe(false);
    expect(r.errors).toHaveLength(MAX_ERRORS + 1);
    expect(r.errors.at(-1)).toEqual({ path: '', message: expect.stringMatching(/^… and 900 more errors/) });
  });

  it('a long run of digits is rejected in linear time, not by backtracking', () => {
    const r = validateSpec({ ...BASE, metadata: { instance: `${'1'.repeat(1_000_000)}x` } });
    expect(r.errors.map((e) => e.path)).toEqual(['metadata.instance']);
  });

  it('numbers too large for a double are not numbers', () => {
    const r = validateSpec({ ...BASE, metadata: { instance: '1'.padEnd(400, '0') } });
    expect(r.ok).toBe(false);
    expect(r.errors[0].path).toBe('metadata.instance');
  });
});

describe('paths', () => {
  it('an empty field name still has a path (found by the fuzz suite)', () => {
    const r = validateSpec({ ...BASE, '': 1, metadata: { '': 2 } });
    expect(r.warnings.map((w) => w.path).sort()).toEqual(['[""]', 'metadata[""]']);
    const dup = loadSpecText('{"name": "svc", "containers": [{"command": "x", "port": 8000}], "": 1, "": 2}');
    expect(dup.warnings.map((w) => w.path)).toContain('[""]');
  });
});
