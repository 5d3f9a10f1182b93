/** Runs every file of ../shared/compat/specs through the parser and validator and checks expected.json. */

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSpecText, validateSpec } from './index.js';

interface Expected {
  ok: boolean;
  name?: string;
  normalized?: Record<string, unknown>;
  error_paths?: string[];
  warnings_include?: string[];
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const compatDir = path.resolve(repoRoot, '../shared/compat');
const expected = JSON.parse(readFileSync(path.join(compatDir, 'expected.json'), 'utf8')) as Record<string, Expected>;
const files = readdirSync(path.join(compatDir, 'specs')).sort();

/** Reads `containers[0].port` or `metadata.rpc.keepalive` from a value. */
function at(value: unknown, dotted: string): unknown {
  let node = value;
  for (const m of dotted.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    const key = m[1] ?? Number(m[2]);
    node = (node as Record<string | number, unknown> | undefined)?.[key];
  }
  return node;
}

describe('compat corpus', () => {
  it('has an expectation for every spec file', () => {
    expect(files.length).toBeGreaterThan(0);
    expect(files.filter((f) => !(f in expected))).toEqual([]);
  });

  it.each(files)('%s', (file) => {
    const want = expected[file];
    const parsed = parseSpecText(readFileSync(path.join(compatDir, 'specs', file), 'utf8'), { filename: file });
    expect(parsed.errors).toEqual([]);
    const result = validateSpec(parsed.value);
    const warnings = [...parsed.warnings, ...result.warnings];
    expect(result.ok, JSON.stringify(result.errors)).toBe(want.ok);
    if (want.name !== undefined) expect(result.name).toBe(want.name);
    for (const [p, v] of Object.entries(want.normalized ?? {})) expect(at(result.spec, p), p).toEqual(v);
    const errorPaths = result.errors.map((e) => e.path);
    for (const p of want.error_paths ?? []) expect(errorPaths).toContain(p);
    for (const p of want.warnings_include ?? [])
      expect(
        warnings.some((w) => w.path.includes(p)),
        p,
      ).toBe(true);
    for (const e of result.errors) expect(e.message).not.toBe('');
  });
});
