/**
 * The web console in a real browser (issue 15): Debian's Chromium driven by
 * playwright-core, headless, against a real Pier with real instances of the
 * fixture app. Screenshots go to a temp directory (printed), never the repo.
 */

import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceView, ServiceDescription } from '../../src/api/index.js';
import { waitFor } from '../support/wait.js';
import { fixtureSpec, startTestPier, type TestPier } from './helpers.js';
import { pidOf } from '../support/instance.js';

const CHROMIUM = '/usr/bin/chromium';
const shots = mkdtempSync(path.join(tmpdir(), 'pier-console-shots-'));
let pier: TestPier;
let browser: Browser;
let page: Page;
const requests: string[] = [];

const shot = (name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
const SLOW = { timeout: 90_000 };

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error('Debian chromium is missing: run "npm run setup" (apt-get install chromium)');
  pier = await startTestPier();
  const created = await pier.api('POST', '/api/v1/services', fixtureSpec('web'));
  expect(created.status).toBe(201);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Playwright gives each launch a fresh profile; these keep Chromium off the network (polyglot machine notes).
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('request', (r) => requests.push(r.url()));
  console.log(`console screenshots: ${shots}`);
});

afterAll(async () => {
  await browser?.close();
  await pier?.close();
});

describe('the console in Chromium', () => {
  it('logs in with the admin token and keeps it out of the URL', async () => {
    await page.goto(pier.controlUrl);
    await page.fill('#token', 'wrong-token');
    await page.click('button[type=submit]');
    await page.waitForSelector('#login-error:has-text("not the admin token")');
    await shot('01-login');
    // Keyboard only: the field has focus again after a wrong token; Enter submits.
    await page.fill('#token', '');
    await page.keyboard.type(pier.adminToken);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#services');
    expect(page.url()).not.toContain(pier.adminToken);
    expect(await page.evaluate(() => sessionStorage.getItem('pier.adminToken'))).toBe(pier.adminToken);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
  });

  it('lists the service live until it is Running with 1/1 ready', async () => {
    await page.waitForSelector('tr[data-service="web"] .badge:has-text("Running")', SLOW);
    await page.waitForSelector('tr[data-service="web"] td.ready:has-text("1/1")');
    await shot('02-services');
  });

  it('shows the service page with its ready instance', async () => {
    await page.click('a:has-text("web")');
    await page.waitForSelector('#instances-body tr[data-state="Running"] .badge:has-text("true")', SLOW);
    await page.waitForSelector('#events li[data-reason="Ready"]');
    await page.waitForSelector('#logs:not(:empty)', SLOW);
  });

  it('a chart gains points under load', async () => {
    const stop = new AbortController();
    const svc = (await pier.api<ServiceDescription>('GET', '/api/v1/services/web')).body;
    const before = Number((await page.getAttribute('#charts figure.chart', 'data-points')) ?? 0);
    const load = (async () => {
      for (let i = 0; i < 100_000 && !stop.signal.aborted; i++) {
        await fetch(`${svc.endpoint}/`, { method: 'POST', headers: { authorization: svc.token }, body: 'x' })
          .then((r) => r.arrayBuffer())
          .catch(() => undefined);
      }
    })();
    try {
      // Points are 5 s steps: the QPS chart must get a newer point, and one with traffic in it.
      await page.waitForFunction(
        (n) => {
          const fig = document.querySelector('#charts figure.chart');
          return Number(fig?.getAttribute('data-points') ?? 0) > n && Number(fig?.getAttribute('data-max') ?? 0) > 0;
        },
        before,
        SLOW,
      );
    } finally {
      stop.abort();
      await load;
    }
    const points = Number(await page.getAttribute('#charts figure.chart', 'data-points'));
    expect(points).toBeGreaterThan(before);
    await page.waitForSelector('#charts figure.chart polyline.s2xx, #charts figure.chart circle.s2xx');
    await shot('03-service-under-load');
  });

  it('kill -9 of an instance: the page shows it exit and restart, live', async () => {
    const [inst] = (await pier.api<InstanceView[]>('GET', '/api/v1/services/web/instances')).body;
    process.kill(pidOf(inst!), 'SIGKILL');
    await page.waitForSelector('#events li[data-reason="Exited"]', SLOW);
    await page.waitForSelector(`tr[data-instance="${inst!.id}"][data-restarts="1"]`, SLOW);
    await page.waitForSelector(`tr[data-instance="${inst!.id}"][data-state="Running"] .badge:has-text("true")`, SLOW);
    expect(await page.textContent(`tr[data-instance="${inst!.id}"]`)).toMatch(/Error|exit|signal/);
    // The restarted process's first log line arrives in the followed logs without a reload.
    const [after] = (await pier.api<InstanceView[]>('GET', '/api/v1/services/web/instances')).body;
    const port = after!.address!.split(':').pop();
    await page.waitForSelector(`#logs:has-text("listening on ${port}")`, SLOW);
    await shot('04-instance-restarted');
  });

  it("the editor shows a bad spec's error at its path before submitting, then saves a good one", async () => {
    await page.click('#edit');
    await page.waitForFunction(() =>
      (document.querySelector('#spec') as HTMLTextAreaElement | null)?.value.includes('"web"'),
    );
    const good = await page.inputValue('#spec');
    const bad = JSON.parse(good);
    bad.metadata.instance = -1;
    await page.fill('#spec', JSON.stringify(bad, null, 2));
    const err = await page.waitForSelector('#spec-errors li[data-path="metadata.instance"]');
    expect(await err.textContent()).toMatch(/metadata\.instance/);
    expect(await page.isDisabled('#submit')).toBe(true);
    await shot('05-editor-error');
    const next = JSON.parse(good);
    next.containers[0].env = [...(next.containers[0].env ?? []), { name: 'GREETING', value: 'revision two' }];
    await page.fill('#spec', JSON.stringify(next, null, 2));
    await page.waitForSelector('#submit:not([disabled])');
    await page.click('#submit');
    await page.waitForSelector('#revisions-body tr[data-revision="2"] .badge:has-text("current")', SLOW);
  });

  it('scales from the page and shows the instance count change', async () => {
    await page.waitForSelector('#scale:not([disabled])', SLOW);
    await page.fill('#scale-n', '2');
    await page.click('#scale');
    await page.waitForSelector('#progress.busy, #progress.ok');
    await page.waitForSelector('#progress.ok:has-text("Scaling to 2: done")', SLOW);
    await waitFor(async () => (await page.$$('#instances-body tr[data-state="Running"]')).length === 2, {
      what: 'two running instances on the page',
      timeoutMs: 30_000,
    });
    await shot('06-scaled');
  });

  it('rolls back to revision 1', async () => {
    await page.waitForSelector('#scale:not([disabled])', SLOW);
    await page.click('#revisions-body button:has-text("Roll back to 1")');
    await page.waitForSelector('#progress.ok:has-text("Rolling back to revision 1: done")', SLOW);
    await page.waitForSelector('#revisions-body tr[data-revision="1"] .badge:has-text("current")', SLOW);
    await page.selectOption('#diff-from', '1');
    await page.selectOption('#diff-to', '2');
    await page.click('#diff-go');
    await page.waitForSelector('#diff td:has-text("GREETING")');
    await shot('07-rolled-back-diff');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot('08-narrow');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('deletes after confirmation and goes back to the list', async () => {
    await page.waitForSelector('#delete:not([disabled])', SLOW);
    await page.click('#delete');
    await page.fill('#confirm-name', 'wrong');
    await page.click('#confirm-delete');
    expect(await page.getAttribute('#confirm-name', 'aria-invalid')).toBe('true');
    await shot('09-delete-confirm');
    await page.fill('#confirm-name', 'web');
    await page.click('#confirm-delete');
    await page.waitForFunction(() => location.hash === '#/', undefined, SLOW);
    await page.waitForSelector('#services');
    await waitFor(async () => (await page.$('tr[data-service="web"]')) === null, { what: 'the row to go' });
    expect((await pier.api('GET', '/api/v1/services/web')).status).toBe(404);
    await shot('10-after-delete');
  });

  it('creates a service from the editor, shows its autoscaler, reveals its token, stops and starts it', async () => {
    await page.click('nav a:has-text("New service")');
    await page.waitForFunction(() =>
      (document.querySelector('#spec') as HTMLTextAreaElement | null)?.value.includes('my-service'),
    );
    const spec = {
      ...fixtureSpec('auto'),
      autoscaler: { min: 1, max: 2, scaleStrategies: [{ metricName: 'qps', threshold: 1000 }] },
    };
    await page.fill('#spec', JSON.stringify(spec, null, 2));
    await page.waitForSelector('#submit:not([disabled])');
    await page.click('#submit');
    await page.waitForFunction(() => location.hash === '#/s/auto', undefined, SLOW);
    await page.waitForSelector('#instances-body tr[data-state="Running"]', SLOW);
    await page.waitForSelector('#autoscaler:not([hidden])', SLOW);
    const d = (await pier.api<ServiceDescription>('GET', '/api/v1/services/auto')).body;
    expect(await page.textContent('#svc-token')).not.toContain(d.token);
    await page.click('#show-token');
    expect(await page.textContent('#svc-token')).toBe(d.token);
    expect(await page.textContent('#curl')).toContain(`Authorization: ${d.token}`);
    // Still shown after the page has read the service again (it does every 3 s).
    const reads = requests.length;
    await waitFor(() => requests.slice(reads).some((u) => u.endsWith('/api/v1/services/auto')), { what: 'a re-read' });
    expect(await page.textContent('#svc-token')).toBe(d.token);
    await shot('11-created-autoscaled-token-shown');
    await page.click('#stop');
    await page.waitForSelector('#progress.ok:has-text("Stopping: done")', SLOW);
    await page.waitForSelector('#start:not([disabled])');
    await page.click('#start');
    await page.waitForSelector('#progress.ok:has-text("Starting: done")', SLOW);
    await page.waitForSelector('#instances-body tr[data-state="Running"]', SLOW);
  });

  it('shows a service group: weights, share now and the measured split (issue 17)', async () => {
    const spec = fixtureSpec('cg_a', {}, {}, { group: 'cg' });
    expect((await pier.api('POST', '/api/v1/services', spec)).status).toBe(201);
    await pier.api('PATCH', '/api/v1/groups/cg/traffic', { weights: { cg_a: 700 } });
    await page.click('nav a:has-text("Groups")');
    await page.waitForSelector('[data-group="cg"] [data-member="cg_a"] .share:has-text("100%")', SLOW);
    const token = (await pier.api<{ token: string }>('GET', '/api/v1/groups/cg')).body.token;
    for (let i = 0; i < 3; i++) {
      expect(
        (await fetch(`${pier.gatewayUrl}/api/predict/cg`, { method: 'POST', headers: { authorization: token } }))
          .status,
      ).toBe(200);
    }
    await page.waitForSelector('[data-group="cg"] [data-member="cg_a"] .requests:has-text("3")', SLOW);
    expect(await page.textContent('[data-group="cg"] .mode')).toContain('custom');
    expect(await page.textContent('[data-group="cg"] [data-member="cg_a"] .measured')).toBe('100.0%');
    await shot('12-groups');
  });

  it('asked no host but Pier', () => {
    const origin = new URL(pier.controlUrl).origin;
    const foreign = requests.filter((u) => new URL(u).origin !== origin);
    expect(foreign).toEqual([]);
    expect(requests.some((u) => u.includes(pier.adminToken))).toBe(false);
  });
});
