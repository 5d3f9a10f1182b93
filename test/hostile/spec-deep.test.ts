/** Issue 12, item 8: deep JSON is a 400 from the API and exit 2 with JSON from `pier validate`, with the path. */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startTestPier, type TestPier } from '../e2e/helpers.js';

const deep = (levels: number) =>
  `{"name": "deep", "containers": [{"command": "x", "port": 8000}], "metadata": {"a": ${'['.repeat(levels)}${']'.repeat(levels)}}}`;

let pier: TestPier;
let dir: string;

beforeAll(async () => {
  pier = await startTestPier();
  dir = mkdtempSync(path.join(tmpdir(), 'pier-deep-'));
});
afterAll(async () => {
  await pier?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each([5_000, 100_000])('%i levels of nesting', (levels) => {
  it.each(['/validate', '/services'])('POST %s answers 400 with the path', async (route) => {
    const res = await fetch(`${pier.controlUrl}/api/v1${route}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${pier.adminToken}`, 'content-type': 'application/json' },
      body: deep(levels),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string; errors: { path: string }[] };
    expect(body.code).toBe('BAD_REQUEST');
    expect(body.message).toMatch(/levels/);
    expect(body.errors[0].path).toMatch(/^metadata\.a\[0\]\[0\]/);
    expect((await fetch(`${pier.controlUrl}/healthz`)).status).toBe(200);
  });

  it('pier validate -o json exits 2 with JSON', async () => {
    const file = path.join(dir, `deep-${levels}.json`);
    writeFileSync(file, deep(levels));
    const r = await runCli(['validate', file, '-o', 'json'], {});
    expect(r.code, r.stderr).toBe(2);
    const out = JSON.parse(r.stdout) as { ok: boolean; errors: { path: string; message: string }[] };
    expect(out.ok).toBe(false);
    expect(out.errors[0].path).toMatch(/^metadata\.a\[0\]\[0\]/);
    expect(out.errors[0].message).toMatch(/levels/);
  });
});
