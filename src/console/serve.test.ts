import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApiServer, createApiServer } from '../api/api-server.js';
import { createFakeControl } from '../../test/support/fake-control.js';

const STATIC = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');
let api: ApiServer | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function start(): Promise<string> {
  api = createApiServer({ control: createFakeControl(), adminToken: 'x' });
  return `http://127.0.0.1:${await api.listen(0, '127.0.0.1')}`;
}

describe('the console (issue 15)', () => {
  it('serves the page at / without a token, with a strict CSP', async () => {
    const base = await start();
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toContain('<script type="module" src="/console/app.js">');
  });

  it('serves scripts and styles with their content types, and nothing outside ./static', async () => {
    const base = await start();
    const js = await fetch(`${base}/console/app.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const css = await fetch(`${base}/console/style.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    for (const bad of ['..%2Fserve.ts', '%2E%2E%2F%2E%2E%2Fpackage.json', 'nope.js']) {
      expect((await fetch(`${base}/console/${bad}`)).status).toBe(404);
    }
    expect((await fetch(`${base}/api/v1/services`)).status).toBe(401);
  });

  it('asks no host but its own: no absolute URL and no inline script in the files', () => {
    for (const name of readdirSync(STATIC)) {
      const text = readFileSync(path.join(STATIC, name), 'utf8');
      const urls = (text.match(/https?:\/\/[^\s'"`)]+/g) ?? []).filter((u) => u !== 'http://www.w3.org/2000/svg');
      expect(urls, name).toEqual([]);
      if (name.endsWith('.html')) expect(text).not.toMatch(/<script(?![^>]*\bsrc=)/);
    }
  });

  it('never puts the token in a URL or a log: it lives in sessionStorage only', () => {
    const apiJs = readFileSync(path.join(STATIC, 'api.js'), 'utf8');
    expect(apiJs).toContain('sessionStorage');
    const all = readdirSync(STATIC)
      .map((n) => readFileSync(path.join(STATIC, n), 'utf8'))
      .join('\n');
    expect(all).not.toContain('localStorage');
    expect(all).not.toMatch(/console\.(log|info|debug)/);
    expect(all).not.toMatch(/[?&]token=/);
  });
});
