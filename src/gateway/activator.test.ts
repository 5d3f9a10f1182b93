import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { Activator } from './activator.js';
import { call, type Harness, service, startBackend, startGateway, TOKEN } from '../../test/support/gateway.js';
import { waitFor } from '../../test/support/wait.js';

const route = (endpoints: number, activate = true) =>
  service(
    'cold',
    Array.from({ length: endpoints }, (_, i) => ({ instanceId: `i${i}`, host: '127.0.0.1', port: 1, revision: 1 })),
    {
      activate,
    },
  );

describe('Activator', () => {
  it('resumes held requests when the service gets a ready instance, and says who waits', () => {
    const clock = new ManualClock();
    const demanded: string[] = [];
    const a = new Activator({ clock, onDemand: (s) => demanded.push(s) });
    const seen: string[] = [];
    a.hold('cold', {
      resume: (r) => seen.push(`resume ${r.endpoints.length}`),
      reject: (s) => seen.push(`reject ${s}`),
    });
    a.hold('cold', {
      resume: (r) => seen.push(`resume ${r.endpoints.length}`),
      reject: (s) => seen.push(`reject ${s}`),
    });
    expect(a.pending('cold')).toBe(2);
    expect(demanded).toEqual(['cold', 'cold']);
    a.sync({ version: 2, services: { cold: route(0) } });
    expect(seen).toEqual([]);
    a.sync({ version: 3, services: { cold: route(1) } });
    expect(seen).toEqual(['resume 1', 'resume 1']);
    expect(a.pending('cold')).toBe(0);
  });

  it('answers 503 past the queue bound and after the longest wait; 404 when the service goes away', () => {
    const clock = new ManualClock();
    const a = new Activator({ clock, maxQueue: 1, maxWaitMs: 1000 });
    const seen: number[] = [];
    const held = { resume: () => seen.push(200), reject: (s: number) => seen.push(s) };
    a.hold('cold', held);
    a.hold('cold', held);
    expect(seen).toEqual([503]);
    clock.advance(1000);
    expect(seen).toEqual([503, 503]);
    a.hold('cold', held);
    a.sync({ version: 2, services: {} });
    expect(seen).toEqual([503, 503, 404]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('cancelling a hold (client gone) forgets it', () => {
    const clock = new ManualClock();
    const a = new Activator({ clock });
    const cancel = a.hold('cold', { resume: () => {}, reject: () => {} });
    cancel();
    expect(a.pending('cold')).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('the gateway holds requests for a service scaled to zero', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.gw.close();
  });

  it('sends a held request the moment an instance is ready, and never before', async () => {
    const backend = await startBackend((_req, res) => res.end('warm'));
    const demanded: string[] = [];
    h = await startGateway([service('cold', [], { activate: true })], { onDemand: (s) => demanded.push(s) });
    const answer = call(h.port, '/api/predict/cold/x', { headers: { authorization: TOKEN } });
    await waitFor(() => h!.gw.stats().services.cold?.pending === 1, {
      what: 'the request to be held',
      timeoutMs: 10_000,
    });
    expect(demanded).toEqual(['cold']);
    expect(h.gw.stats().services.cold?.pending).toBe(1);
    h.store.set({
      version: 2,
      services: {
        cold: service('cold', [{ instanceId: 'i1', host: '127.0.0.1', port: backend.port, revision: 1 }], {
          activate: true,
        }),
      },
    });
    const r = await answer;
    expect(r.status).toBe(200);
    expect(r.body).toBe('warm');
    expect(r.headers['x-pier-instance']).toBe('i1');
    await backend.close();
  });

  it('answers 503 at once for a service without activation', async () => {
    h = await startGateway([service('cold', [])]);
    const r = await call(h.port, '/api/predict/cold/x', { headers: { authorization: TOKEN } });
    expect(r.status).toBe(503);
  });
});
