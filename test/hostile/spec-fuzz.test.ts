/**
 * Issue 12: 10,000 specs mutated from the compat corpus and the examples, derived
 * from a fixed seed so a failure reproduces. Every one goes through the intake
 * `pier validate` uses (loadSpecText) and the one the API uses (parseJson, then
 * validateSpec); none may throw, and every error names a path and says something.
 * A sample then goes through a real server and the CLI.
 */

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson } from '../../src/api/json-body.js';
import { type Harness, startHarness } from '../support/cli.js';
import { type FieldError, isPierError } from '../../src/errors.js';
import { loadSpecText, type ValidationResult, validateSpec } from '../../src/spec/index.js';
import { repoRoot, startTestPier, type TestPier } from '../e2e/helpers.js';

const SEED = 0x5eed_0012;
const CASES = 10_000;
const SAMPLE = 200;

const compatSpecs = path.resolve(repoRoot, '../shared/compat/specs');
const examples = path.join(repoRoot, 'examples');
const corpus: { file: string; text: string }[] = [
  ...readdirSync(compatSpecs)
    .sort()
    .map((f) => ({ file: f, text: readFileSync(path.join(compatSpecs, f), 'utf8') })),
  ...readdirSync(examples, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => path.join(examples, d.name, 'service.json'))
    .sort()
    .map((f) => ({ file: path.relative(repoRoot, f), text: readFileSync(f, 'utf8') })),
];

/** mulberry32: small, fast, and the same sequence on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = unknown;
type Rand = () => number;
const pick = <T>(r: Rand, list: readonly T[]): T => list[Math.floor(r() * list.length)];

const NUMBERS = [
  1e308,
  -1,
  -0,
  0,
  0.5,
  1e20,
  2 ** 53 + 1,
  -1e308,
  65536,
  100000,
  2 ** 31,
  'NaN',
  'Infinity',
  '1e400',
  '0x10',
  ' 8000 ',
  '-5',
  '1'.repeat(400),
];
const HOSTILE = [
  '--version',
  '-r/etc/passwd',
  '--index-url=http://127.0.0.1:1/',
  'http://127.0.0.1:1/',
  'evil@127.0.0.1:19190/api/v1/services#',
  'file:///etc/passwd',
  '../../etc/passwd',
  '$(id)',
  '; rm -rf /',
  'a\u0000b',
  '\u202egnp.exe',
  '🦀🦀',
  '\ud800',
  'Ｎａｍｅ',
  '\r\nX-Injected: 1',
  '',
  ' ',
];
const KEYS = [
  '__proto__',
  '__proto__.polluted',
  'constructor.prototype.polluted',
  'constructor',
  'rpc.keepalive',
  'a.b.c',
  'rpc..x',
  '',
  'image',
  'port',
  'metadata',
  'x'.repeat(1000),
  '名前',
];

function nest(depth: number, leaf: Json, r: Rand): Json {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = r() < 0.5 ? [v] : { a: v };
  return v;
}

function randomValue(r: Rand): Json {
  switch (Math.floor(r() * 8)) {
    case 0:
      return pick(r, NUMBERS);
    case 1:
      return pick(r, HOSTILE);
    case 2:
      return 'x'.repeat(1 + Math.floor(r() * 20_000));
    case 3:
      return nest(1 + Math.floor(r() * 120), pick(r, NUMBERS), r);
    case 4:
      return pick(r, [null, true, false, 'true', 'ture', [], {}]);
    case 5:
      return Array.from({ length: Math.floor(r() * 2000) }, () => pick(r, HOSTILE));
    case 6:
      return { [pick(r, KEYS)]: pick(r, NUMBERS) };
    default:
      return pick(r, HOSTILE) + pick(r, KEYS);
  }
}

/** Every container (object or list) in the tree with its path, so a mutation can pick one. */
function nodes(value: Json): (Record<string, Json> | Json[])[] {
  const out: (Record<string, Json> | Json[])[] = [];
  const stack = [value];
  while (stack.length > 0 && out.length < 500) {
    const v = stack.pop();
    if (v && typeof v === 'object') {
      out.push(v as Record<string, Json>);
      stack.push(...Object.values(v));
    }
  }
  return out;
}

function mutateTree(tree: Json, r: Rand): Json {
  const all = nodes(tree);
  if (all.length === 0) return randomValue(r);
  const node = pick(r, all);
  const keys = Object.keys(node);
  const key: string | number = Array.isArray(node) ? Math.floor(r() * (node.length + 1)) : (pick(r, keys) ?? 'x');
  const target = node as Record<string | number, Json>;
  switch (Math.floor(r() * 6)) {
    case 0:
      if (Array.isArray(node)) node.splice(Number(key), 1);
      else delete target[key];
      break;
    case 1:
      target[key] = randomValue(r);
      break;
    case 2: {
      const v = target[key];
      target[key] =
        typeof v === 'number' ? String(v) : typeof v === 'string' ? Number(v) || [v] : (JSON.stringify(v) ?? null);
      break;
    }
    case 3:
      // defineProperty, so "__proto__" becomes a field as JSON.parse would make it.
      if (!Array.isArray(node))
        Object.defineProperty(target, pick(r, KEYS), {
          value: randomValue(r),
          enumerable: true,
          configurable: true,
          writable: true,
        });
      else target[key] = pick(r, HOSTILE);
      break;
    case 4:
      // Thousands of levels are made as text (mutateText): JSON.stringify itself recurses.
      target[key] = nest(pick(r, [50, 70, 200, 1000]), 1, r);
      break;
    default: {
      // A long list of copies, kept under about 20 kB so the suite stays fast.
      const list = target[key];
      const first = Array.isArray(list) ? list[0] : undefined;
      const size = (JSON.stringify(first) ?? 'null').length;
      target[key] = Array.isArray(list)
        ? Array.from({ length: Math.max(1, Math.min(3000, Math.floor(20_000 / size))) }, () => first)
        : pick(r, NUMBERS);
    }
  }
  return tree;
}

function mutateText(text: string, r: Rand): string {
  const at = Math.floor(r() * text.length);
  switch (Math.floor(r() * 6)) {
    case 0:
      return text.slice(0, at);
    case 1: {
      const close = text.indexOf(pick(r, ['}', ']']), at);
      return close < 0 ? `${text},` : `${text.slice(0, close)},${text.slice(close)}`;
    }
    case 2: {
      // A duplicated key: the first "key": value pair after the cut, written again.
      const m = /"([^"\\]*)"\s*:\s*("[^"\\]*"|-?\d+|true|false|null)/.exec(text.slice(at));
      if (!m) return `${text}}`;
      const pos = at + m.index + m[0].length;
      return `${text.slice(0, pos)}, ${m[0]}${text.slice(pos)}`;
    }
    case 3:
      return `${text.slice(0, at)}${pick(r, HOSTILE)}${text.slice(at)}`;
    case 4:
      return `${text.slice(0, at)}${'['.repeat(5000)}${text.slice(at)}`;
    default:
      return text.replace(/:/g, (m) => (r() < 0.1 ? ': [' : m));
  }
}

function makeCase(i: number): { file: string; text: string } {
  const r = prng(SEED + i);
  const base = corpus[i % corpus.length];
  let text: string;
  if (r() < 0.3) text = mutateText(base.text, r);
  else {
    let tree: Json;
    try {
      tree = JSON.parse(base.text.replace(/,(\s*[}\]])/g, '$1'));
    } catch {
      tree = {};
    }
    const rounds = 1 + Math.floor(r() * 3);
    for (let k = 0; k < rounds; k++) tree = mutateTree(tree, r);
    text = JSON.stringify(tree) ?? 'null';
    // Rounds can compound (copies of copies); keep every case within the API's 1 MiB body limit.
    if (text.length > 1_000_000) text = text.slice(0, 1_000_000);
    if (r() < 0.15) text = mutateText(text, r);
  }
  return { file: base.file, text };
}

const DOCUMENT_LEVEL =
  /invalid JSON|invalid YAML|YAML warning|trailing comma|nested more than|spec is empty|a service spec is a JSON object|more error/;

function checkErrors(errors: readonly FieldError[], where: string): void {
  for (const e of errors) {
    expect(typeof e.path, where).toBe('string');
    expect(typeof e.message, where).toBe('string');
    expect(e.message.length, where).toBeGreaterThan(0);
    if (e.path === '') expect(e.message, where).toMatch(DOCUMENT_LEVEL);
  }
}

function checkResult(r: ValidationResult, where: string): void {
  if (r.ok) {
    expect(r.errors, where).toEqual([]);
    // The store and the API serialize the spec; that must work too.
    expect(() => JSON.stringify(r.spec), where).not.toThrow();
  } else {
    expect(r.errors.length, where).toBeGreaterThan(0);
    checkErrors(r.errors, where);
  }
  checkErrors(r.warnings, where);
}

/**
 * The API's intake: strict JSON (a PierError is an answer, not a crash), then
 * validateSpec. Where the text is JSON the CLI's intake has validated the same
 * value already, so only the rest is validated again (it keeps the suite fast).
 */
function apiIntake(text: string): ValidationResult | 'same' | undefined {
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (err) {
    if (!isPierError(err) || err.code !== 'BAD_REQUEST') throw err;
    return undefined;
  }
  return /^\s*[{[]/.test(text) ? 'same' : validateSpec(value);
}

const cases = Array.from({ length: CASES }, (_, i) => makeCase(i));

describe('spec fuzz (issue 12)', () => {
  it('uses every corpus file', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(20);
    expect(new Set(cases.map((c) => c.file)).size).toBe(corpus.length);
  });

  it(`${CASES} mutated specs: no exception, every error with a path and a message`, () => {
    const counts = { ok: 0, invalid: 0, apiRejected: 0 };
    const crashes: string[] = [];
    cases.forEach((c, i) => {
      const where = `case ${i} (from ${c.file}): ${JSON.stringify(c.text.slice(0, 200))}`;
      try {
        const cli = loadSpecText(c.text, { filename: c.file });
        checkResult(cli, where);
        counts[cli.ok ? 'ok' : 'invalid']++;
        const api = apiIntake(c.text);
        if (api === undefined) counts.apiRejected++;
        else if (api !== 'same') checkResult(api, where);
      } catch (err) {
        crashes.push(`${where}\n  → ${(err as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
      }
      expect(Object.prototype).not.toHaveProperty('polluted');
    });
    expect(crashes.slice(0, 5)).toEqual([]);
    expect(counts.ok + counts.invalid).toBe(CASES);
    // The mutations reach both outcomes, so the suite exercises the validator, not only the parser.
    expect(counts.ok).toBeGreaterThan(100);
    expect(counts.invalid).toBeGreaterThan(CASES / 2);
  });
});

describe('spec fuzz through the server and the CLI', () => {
  let pier: TestPier;
  let cli: Harness;
  const sample = cases.filter((_, i) => i % Math.floor(CASES / SAMPLE) === 0).slice(0, SAMPLE);

  beforeAll(async () => {
    pier = await startTestPier();
    cli = await startHarness();
  });
  afterAll(async () => {
    await pier?.close();
    await cli?.close();
  });

  const post = (route: string, text: string) =>
    fetch(`${pier.controlUrl}/api/v1${route}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${pier.adminToken}`, 'content-type': 'application/json' },
      body: text,
    });

  it(`${SAMPLE} of them: the API answers 200 or 400, never 500`, async () => {
    const statuses: Record<number, number> = {};
    for (const c of sample) {
      const res = await post('/validate', c.text);
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      const body = (await res.json()) as { ok?: boolean; code?: string; errors?: FieldError[] };
      expect([200, 400, 413], c.text.slice(0, 200)).toContain(res.status);
      if (res.status === 200 && !body.ok) checkErrors(body.errors ?? [], c.text.slice(0, 200));
      // An invalid spec sent to create is refused with 400 and its errors, not a 500.
      if (res.status === 200 && body.ok === false) {
        const created = await post('/services', c.text);
        expect(created.status, c.text.slice(0, 200)).toBe(400);
        expect(((await created.json()) as { code: string }).code).toBe('SPEC_INVALID');
      }
    }
    expect(statuses[500]).toBeUndefined();
  });

  it(`${SAMPLE} of them: pier validate -o json exits 0 or 2 with one JSON object`, async () => {
    for (const [i, c] of sample.entries()) {
      const r = await cli.run(['validate', cli.write(`case${i}.json`, c.text), '-o', 'json']);
      const out = JSON.parse(r.stdout) as { ok: boolean; errors: FieldError[] };
      expect(r.code, c.text.slice(0, 200)).toBe(out.ok ? 0 : 2);
      checkErrors(out.errors, c.text.slice(0, 200));
    }
  });
});
