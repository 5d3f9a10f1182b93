/**
 * The Kubernetes container-probe conformance scenarios, on real processes:
 * restart counts and readiness are read from the control API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceView } from '../../src/api/index.js';
import type { EventRecord } from '../../src/store/index.js';
import { type AppCounters, appCounters, fixtureSpec, startTestPier, type TestPier } from './helpers.js';
import { waitFor } from '../support/wait.js';

let pier: TestPier;
beforeAll(async () => {
  pier = await startTestPier();
});
afterAll(async () => {
  await pier?.close();
});

const probe = (handler: Record<string, unknown>, timing: Record<string, number> = {}) => ({
  period_seconds: 1,
  ...handler,
  ...timing,
});

async function create(spec: unknown): Promise<void> {
  const res = await pier.api('POST', '/api/v1/services', spec);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

async function instance(name: string): Promise<InstanceView> {
  const res = await pier.api<InstanceView[]>('GET', `/api/v1/services/${name}/instances`);
  return res.body[0];
}

async function events(name: string): Promise<EventRecord[]> {
  return (await pier.api<EventRecord[]>('GET', `/api/v1/services/${name}/events`)).body;
}

/**
 * Samples the instance every 250 ms until the fixture app's counters show that the
 * probes under test ran enough times (`enough`), so "nothing happened" is asserted
 * over a window in which it had the chance to happen. Returns every sample.
 */
async function observe(
  name: string,
  what: string,
  enough: (c: AppCounters, sample: InstanceView) => boolean,
): Promise<{ samples: InstanceView[]; counters: AppCounters }> {
  const samples: InstanceView[] = [];
  let counters: AppCounters | undefined;
  await waitFor(
    async () => {
      const i = await instance(name);
      if (!i) return false;
      samples.push(i);
      if (!i.address) return false;
      counters = await appCounters(i.address);
      return enough(counters, i);
    },
    { what, timeoutMs: 60_000, intervalMs: 250 },
  );
  return { samples, counters: counters! };
}

describe.concurrent('probes on real instances', () => {
  it('readiness with an initial delay is not ready before the delay', async () => {
    await create(
      fixtureSpec(
        'ready_delay',
        {},
        { readiness_check: probe({ http_get: { path: '/health', port: 8000 } }, { initial_delay_seconds: 4 }) },
      ),
    );
    const ready = await waitFor(async () => (await instance('ready_delay'))?.ready, {
      what: 'ready',
      timeoutMs: 60_000,
    });
    expect(ready).toBe(true);
    const ev = await events('ready_delay');
    const started = ev.find((e) => e.reason === 'Started');
    const readyEvent = ev.find((e) => e.reason === 'Ready');
    expect(started && readyEvent).toBeTruthy();
    // The first probe lands on the first tick at or after the delay, counted from the instance's start.
    const startedAt = (await instance('ready_delay')).startedAt!;
    expect(started!.time).toBeGreaterThanOrEqual(startedAt);
    expect(readyEvent!.time - startedAt).toBeGreaterThanOrEqual(4000);
    expect((await instance('ready_delay')).restarts).toBe(0);
  });

  it('a readiness probe that always fails never makes the instance ready and never restarts it', async () => {
    await create(
      fixtureSpec(
        'ready_never',
        { HEALTH_STATUS: 500 },
        { readiness_check: probe({ http_get: { path: '/health', port: 8000 } }) },
      ),
    );
    await waitFor(async () => (await instance('ready_never'))?.address, { what: 'started', timeoutMs: 60_000 });
    // Five failed probes: past the failure threshold (3), and any success would have shown.
    const { samples, counters } = await observe('ready_never', '5 readiness probes', (c) => c.health >= 5);
    expect(counters.health).toBeGreaterThanOrEqual(5);
    expect(samples.length).toBeGreaterThan(5);
    expect(samples.every((s) => !s.ready && s.restarts === 0)).toBe(true);
    expect(samples.at(-1)!.probes.readiness?.message).toContain('500');
  });

  it('an exec liveness probe that starts failing restarts the instance once', async () => {
    await create(
      fixtureSpec(
        'live_exec',
        { HEALTHY_FILE_FOR_MS: 3000 },
        {
          liveness_check: probe({ exec: { command: ['test', '-f', 'healthy'] } }, { failure_threshold: 1 }),
        },
      ),
    );
    const restarted = await waitFor(async () => (await instance('live_exec'))?.restarts === 1, {
      what: 'one restart',
      timeoutMs: 30_000,
    });
    expect(restarted).toBe(true);
    const kills = (await events('live_exec')).filter((e) => e.reason === 'Killing');
    expect(kills[0].message).toContain('liveness');
  });

  it('an HTTP liveness probe that fails restarts it with growing back-off', async () => {
    await create(
      fixtureSpec(
        'live_http',
        { HEALTH_STATUS: 500 },
        {
          liveness_check: probe({ http_get: { path: '/health', port: 8000 } }, { failure_threshold: 1 }),
        },
      ),
    );
    const backoffs = await waitFor(
      async () => {
        const b = (await events('live_http')).filter((e) => e.reason === 'BackOff');
        return b.length >= 2 ? b : undefined;
      },
      { what: 'two back-off events', timeoutMs: 60_000 },
    );
    expect(backoffs[0].message).toContain('10s');
    expect(backoffs[1].message).toContain('20s');
    const i = await instance('live_http');
    expect(i.restarts).toBeGreaterThanOrEqual(2);
    expect(i.lastState?.message).toContain('liveness');
  });

  it('a TCP liveness probe on a port that stays open does not restart it while HTTP answers 500', async () => {
    await create(
      fixtureSpec(
        'live_tcp',
        { HEALTH_STATUS: 500 },
        { liveness_check: probe({ tcp_socket: { port: 8000 } }, { failure_threshold: 3 }) },
      ),
    );
    await waitFor(async () => (await instance('live_tcp'))?.ready, { what: 'ready', timeoutMs: 60_000 });
    // The default readiness check and the liveness probe both dial the port once a period,
    // so 8 bare connects hold at least 4 liveness probes, more than its failure threshold (3):
    // a failing verdict would have restarted it.
    const { samples, counters } = await observe('live_tcp', '4 TCP liveness probes', (c) => c.tcpOnly >= 8);
    expect(counters.tcpOnly).toBeGreaterThanOrEqual(8);
    expect(counters.health).toBe(0);
    expect(samples.filter((s) => s.restarts !== 0 || !s.ready)).toEqual([]);
  });

  it('an exec probe over its timeout fails', async () => {
    await create(
      fixtureSpec(
        'exec_timeout',
        {},
        { readiness_check: probe({ exec: { command: ['sleep', '5'] } }, { timeout_seconds: 1 }) },
      ),
    );
    const i = await waitFor(
      async () => {
        const v = await instance('exec_timeout');
        return v?.probes.readiness?.result === 'failure' ? v : undefined;
      },
      { what: 'a failed readiness result', timeoutMs: 60_000 },
    );
    expect(i.ready).toBe(false);
    expect(i.probes.readiness?.message).toMatch(/timed out/i);
  });

  it('a startup probe holds back a failing liveness probe until it succeeds', async () => {
    await create(
      fixtureSpec(
        'startup_holds',
        { STARTED_AFTER_MS: 4000 },
        {
          startup_check: probe({ http_get: { path: '/started', port: 8000 } }, { failure_threshold: 30 }),
          liveness_check: probe({ exec: { command: ['false'] } }, { failure_threshold: 3 }),
        },
      ),
    );
    // While startup is failing (first 4 s), liveness must not run: no restart. The window
    // lasts until startup succeeds and holds at least 3 failed startup probes, as many
    // ticks as the failing liveness probe (threshold 3) would need to restart it.
    const { samples: early, counters } = await observe(
      'startup_holds',
      'the startup probe to succeed',
      (_c, s) => s.probes.startup?.result === 'success',
    );
    expect(counters.startedFailures).toBeGreaterThanOrEqual(3);
    expect(early.every((s) => s.restarts === 0)).toBe(true);
    // Once startup succeeds, the failing liveness probe takes over and restarts it.
    await waitFor(async () => (await instance('startup_holds'))?.restarts >= 1, {
      what: 'a liveness restart',
      timeoutMs: 30_000,
    });
  });

  it('a failing startup probe restarts the instance', async () => {
    await create(
      fixtureSpec(
        'startup_fails',
        {},
        { startup_check: probe({ exec: { command: ['false'] } }, { failure_threshold: 2 }) },
      ),
    );
    await waitFor(async () => (await instance('startup_fails'))?.restarts >= 1, {
      what: 'a restart',
      timeoutMs: 30_000,
    });
    const kills = (await events('startup_fails')).filter((e) => e.reason === 'Killing');
    expect(kills[0].message).toContain('startup');
  });

  it('readiness turns true only after startup succeeds', async () => {
    await create(
      fixtureSpec(
        'ready_after_startup',
        { STARTED_AFTER_MS: 3000 },
        {
          startup_check: probe({ http_get: { path: '/started', port: 8000 } }, { failure_threshold: 30 }),
          readiness_check: probe({ tcp_socket: { port: 8000 } }),
        },
      ),
    );
    const samples: InstanceView[] = [];
    await waitFor(
      async () => {
        const v = await instance('ready_after_startup');
        if (v) samples.push(v);
        return v?.ready;
      },
      { what: 'ready', timeoutMs: 60_000 },
    );
    const ev = await events('ready_after_startup');
    const started = ev.find((e) => e.reason === 'Started')!;
    const readyEvent = ev.find((e) => e.reason === 'Ready')!;
    expect(started).toBeTruthy();
    expect(readyEvent.time - (await instance('ready_after_startup')).startedAt!).toBeGreaterThanOrEqual(3000);
    expect(samples.find((s) => s.ready)?.probes.startup?.result).not.toBe('failure');
  });

  it('an HTTP redirect to another host counts as success', async () => {
    await create(
      fixtureSpec(
        'redirect_other',
        {},
        { readiness_check: probe({ http_get: { path: '/redirect-other-host', port: 8000 } }) },
      ),
    );
    expect(
      await waitFor(async () => (await instance('redirect_other'))?.ready, { what: 'ready', timeoutMs: 60_000 }),
    ).toBe(true);
  });

  it('a redirect loop counts as failure', async () => {
    await create(
      fixtureSpec(
        'redirect_loop',
        {},
        { readiness_check: probe({ http_get: { path: '/redirect-loop', port: 8000 } }) },
      ),
    );
    const i = await waitFor(
      async () => {
        const v = await instance('redirect_loop');
        return v?.probes.readiness?.result === 'failure' ? v : undefined;
      },
      { what: 'a failed readiness result', timeoutMs: 60_000 },
    );
    expect(i.ready).toBe(false);
  });
});
