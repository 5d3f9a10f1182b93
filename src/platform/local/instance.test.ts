/** LocalInstance against a fake runtime and prober, with a ManualClock: start, ready, crash, back-off, stop. */

import { describe, expect, it } from 'vitest';
import { makeSpec } from '../../../test/support/runtime.js';
import { ManualClock } from '../../clock.js';
import { PierError } from '../../errors.js';
import type { InstanceHealthListener } from '../../probe/index.js';
import type { ExitInfo, InstanceRuntime, RunningInstance, StartRequest } from '../../runtime/index.js';
import { makeInstancePlan } from '../plan/index.js';
import { type InstanceProberHandle, LocalInstance } from './instance.js';
import type { LocalInstanceRecord } from './records.js';

/** Lets queued promise callbacks run; bounded. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never happened: ${what}`);
}

function fakeRunning(clock: ManualClock, port: number) {
  let settle!: (e: ExitInfo) => void;
  const exited = new Promise<ExitInfo>((r) => {
    settle = r;
  });
  const stops: number[] = [];
  const running: RunningInstance = {
    instanceId: 'x',
    host: '127.0.0.1',
    port,
    pid: 4242,
    startedAt: clock.now(),
    exited,
    async stop(grace) {
      stops.push(grace);
      const e: ExitInfo = { exitCode: 0, signal: 'SIGTERM', reason: 'Completed', message: '', finishedAt: clock.now() };
      settle(e);
      return e;
    },
    exec: async () => ({ exitCode: 0, output: '', timedOut: false }),
    cpuSeconds: () => 1.5,
  };
  return {
    running,
    stops,
    crash: (code: number) =>
      settle({ exitCode: code, signal: null, reason: 'Error', message: '', finishedAt: clock.now() }),
  };
}

function setup(opts: { unavailable?: boolean } = {}) {
  const clock = new ManualClock();
  const spec = makeSpec([{ command: 'python3 app.py', port: 8000 }], { eas: { termination_grace_period: 7 } });
  const plan = makeInstancePlan(spec, 4);
  const requests: StartRequest[] = [];
  const instances: ReturnType<typeof fakeRunning>[] = [];
  const runtime: InstanceRuntime = {
    kind: 'process',
    async start(req) {
      requests.push(req);
      if (opts.unavailable)
        throw new PierError('UNAVAILABLE', 'Pending: metadata.gpu is 1 but only 0 of 0 GPU(s) are free');
      const f = fakeRunning(clock, 41000 + instances.length);
      instances.push(f);
      return f.running;
    },
    adopt: async () => null,
    unsupportedReason: () => null,
  };
  const listeners: InstanceHealthListener[] = [];
  const events: string[] = [];
  const records: (LocalInstanceRecord | null)[] = [];
  const drains: number[] = [];
  const instance = new LocalInstance(
    {
      id: 'svc-4-abc',
      service: 'svc',
      revision: 4,
      spec,
      plan,
      logDir: '/nonexistent/logs',
      workDir: '/nonexistent/run',
    },
    {
      runtime,
      clock,
      agentStartedAt: clock.now(),
      createProber: (o): InstanceProberHandle => {
        listeners.push(o.listener);
        return {
          start() {},
          stop() {},
          terminating() {},
          health: () => ({ ready: false, live: true, started: true, last: {} }),
        };
      },
      event: (_type, reason) => events.push(reason),
      changed: () => undefined,
      persist: (rec) => records.push(rec),
      drain: async (_id, ms) => {
        drains.push(ms);
      },
    },
  );
  return { clock, instance, requests, instances, listeners, events, records, drains, plan };
}

describe('LocalInstance', () => {
  it('starts with the plan, becomes ready, serves an endpoint and records what re-adoption needs', async () => {
    const t = setup();
    t.instance.start();
    await until(() => t.listeners.length === 1, 'prober created');
    expect(t.requests[0]?.plan).toBe(t.plan);
    expect(t.instance.view()).toMatchObject({ state: 'Starting', ready: false, address: '127.0.0.1:41000' });
    expect(t.records.at(-1)).toMatchObject({ id: 'svc-4-abc', revision: 4, pid: 4242, port: 41000, ready: false });
    // Process details reach the API only inside the platform detail.
    expect(t.instance.view().platform).toEqual({ kind: 'local', runtime: 'process', pid: 4242 });
    expect(t.instance.view()).not.toHaveProperty('pid');
    t.listeners[0]?.readinessChanged(true, { result: 'success', message: '' });
    expect(t.instance.view()).toMatchObject({ state: 'Running', ready: true });
    expect(t.instance.endpoint()).toEqual({ instanceId: 'svc-4-abc', host: '127.0.0.1', port: 41000, revision: 4 });
    expect(t.instance.cpuSeconds()).toBe(1.5);
    expect(t.events).toEqual(['Started', 'Ready']);
    await t.instance.stop('test over');
  });

  it('a first crash restarts at once; a second is CrashLoopBackOff, then a restart after the back-off', async () => {
    const t = setup();
    t.instance.start();
    await until(() => t.instances.length === 1, 'first start');
    t.instances[0]?.crash(1);
    await until(() => t.instances.length === 2, 'immediate restart (kubelet: no back-off on the first exit)');
    expect(t.instance.view()).toMatchObject({ restarts: 1, lastState: { exitCode: 1, reason: 'Error' } });
    t.instances[1]?.crash(2);
    await until(() => t.instance.view().state === 'CrashLoopBackOff', 'back-off');
    expect(t.events).toEqual(['Started', 'Exited', 'Started', 'Exited', 'BackOff']);
    t.clock.advance(10_000);
    await until(() => t.instances.length === 3, 'restart after back-off');
    expect(t.instance.view()).toMatchObject({ restarts: 2, address: '127.0.0.1:41002' });
    await t.instance.stop('test over');
  });

  it('stop drains, stops with the plan grace and forgets the record', async () => {
    const t = setup();
    t.instance.start();
    await until(() => t.instances.length === 1, 'start');
    await t.instance.stop('scaled down');
    expect(t.drains).toEqual([7000]);
    expect(t.instances[0]?.stops).toEqual([7]);
    expect(t.records.at(-1)).toBeNull();
    expect(t.instance.view().state).toBe('Terminating');
    expect(t.instance.stop('again')).toBeInstanceOf(Promise);
  });

  it('too few GPUs keeps it Pending with FailedScheduling, retrying', async () => {
    const t = setup({ unavailable: true });
    t.instance.start();
    await until(() => t.events.includes('FailedScheduling'), 'pending');
    expect(t.instance.view()).toMatchObject({ state: 'Pending', reason: 'Unschedulable' });
    expect(t.instance.isScheduled()).toBe(false);
    t.clock.advance(5000);
    await until(() => t.requests.length === 2, 'retry');
    expect(t.events.filter((e) => e === 'FailedScheduling')).toHaveLength(1);
    await t.instance.stop('test over');
  });
});
