import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../test/support/cli.js';

let h: Harness;
afterEach(() => h?.close());

const VALID = { name: 'svc', containers: [{ command: 'python3 app.py', port: 8000 }] };
const INVALID = { name: 'svc', containers: [{ command: 'python3 app.py', port: 70000 }] };

describe('pier validate', () => {
  it('exits 0 for a valid spec', async () => {
    h = await startHarness();
    const r = await h.run(['validate', h.write('ok.json', VALID)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"svc" is valid');
  });

  it('exits 2 and names the paths of an invalid spec', async () => {
    h = await startHarness();
    const r = await h.run(['validate', h.write('bad.json', INVALID)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*bad\.json is not a valid spec/);
    expect(r.stderr).toContain('  containers[0].port: ');
  });

  it('prints exactly one JSON object with -o json', async () => {
    h = await startHarness();
    const bad = await h.run(['validate', h.write('bad.json', INVALID), '-o', 'json']);
    expect(bad.code).toBe(2);
    const parsed = JSON.parse(bad.stdout);
    expect(Object.keys(parsed).sort()).toEqual(['errors', 'name', 'ok', 'spec', 'warnings']);
    expect(parsed).toMatchObject({ ok: false, name: 'svc', spec: null });
    expect(parsed.errors[0]).toEqual({ path: 'containers[0].port', message: expect.any(String) });

    const ok = await h.run(['validate', h.write('ok.json', VALID), '-o', 'json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, name: 'svc', errors: [] });
  });

  it.each([5_000, 100_000])('exits 2 with JSON for %i levels of nesting (issue 12, item 8)', async (n) => {
    h = await startHarness();
    const deep = `{"name": "svc", "containers": [], "metadata": {"a": ${'['.repeat(n)}${']'.repeat(n)}}}`;
    const r = await h.run(['validate', h.write('deep.json', deep), '-o', 'json']);
    expect(r.code).toBe(2);
    const parsed = JSON.parse(r.stdout);
    expect(parsed.ok).toBe(false);
    expect(parsed.errors[0].path).toMatch(/^metadata\.a\[0\]\[0\]/);
    expect(parsed.errors[0].message).toMatch(/levels/);
  });

  it('exits 2 with a path for a flag-like image (issue 12, item 10)', async () => {
    h = await startHarness();
    const spec = { name: 'svc', containers: [{ image: '--version', port: 8000 }] };
    const r = await h.run(['validate', h.write('flag.json', spec), '-o', 'json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).errors).toEqual([{ path: 'containers[0].image', message: expect.any(String) }]);
  });

  it('exits 2 with a clear message when the file does not exist', async () => {
    h = await startHarness();
    const r = await h.run(['validate', 'missing.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: file not found: missing.json');
  });

  it('exits 2 for a usage error', async () => {
    h = await startHarness();
    const r = await h.run(['validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing required argument 'file'");
  });
});
