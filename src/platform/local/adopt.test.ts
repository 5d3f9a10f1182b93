/**
 * LocalPlatform.start, the re-adoption after a restart of Pier, as a table (knative's
 * table_test.go style): the records the local table holds, which processes the runtime
 * still finds, which revisions the store still has; wanted: the instances adopted,
 * the processes stopped, the records left, the events.
 */

import { describe, expect, it } from 'vitest';
import { makeSpec } from '../../../test/support/runtime.js';
import { ManualClock } from '../../clock.js';
import type { AdoptRecord, ExitInfo, InstanceRuntime, RunningInstance } from '../../runtime/index.js';
import { makeInstancePlan } from '../plan/index.js';
import type { RevisionPlan } from '../types.js';
import { LocalPlatform } from './platform.js';
import type { LocalInstanceRecord, LocalRecords } from './records.js';

/** Lets queued promise callbacks run; bounded. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never happened: ${what}`);
}

interface Row {
  name: string;
  records: LocalInstanceRecord[];
  /** Ids whose process the runtime still finds (adopt answers an instance). */
  alive: string[];
  /** Revisions the store has, as `service/revision`. */
  revisions: string[];
  wantAdopted: string[];
  wantStopped: string[];
  /** Ids with a record after start. */
  wantRecords: string[];
  wantEvents: string[];
}

function rec(id: string, over: Partial<LocalInstanceRecord> = {}): LocalInstanceRecord {
  return {
    id,
    service: 'svc',
    revision: 1,
    runtime: 'process',
    pid: 4000,
    port: 41000,
    logDir: `/nonexistent/logs/svc/${id}`,
    startedAt: 1,
    restarts: 0,
    ...over,
  };
}

const rows: Row[] = [
  {
    name: 'a live process of a known revision is adopted, keeping its restarts and record',
    records: [rec('svc-1-a', { restarts: 2, ready: true, readySince: 5 })],
    alive: ['svc-1-a'],
    revisions: ['svc/1'],
    wantAdopted: ['svc-1-a'],
    wantStopped: [],
    wantRecords: ['svc-1-a'],
    wantEvents: ['Adopted'],
  },
  {
    name: 'a process that is gone leaves nothing: its record is deleted',
    records: [rec('svc-1-a')],
    alive: [],
    revisions: ['svc/1'],
    wantAdopted: [],
    wantStopped: [],
    wantRecords: [],
    wantEvents: [],
  },
  {
    name: 'a live process whose service was deleted meanwhile is stopped and forgotten',
    records: [rec('old-1-a', { service: 'old' })],
    alive: ['old-1-a'],
    revisions: ['svc/1'],
    wantAdopted: [],
    wantStopped: ['old-1-a'],
    wantRecords: [],
    wantEvents: [],
  },
  {
    name: 'a record without a port (never started) is not adopted',
    records: [rec('svc-1-a', { port: null, pid: null })],
    alive: ['svc-1-a'],
    revisions: ['svc/1'],
    wantAdopted: [],
    wantStopped: [],
    wantRecords: [],
    wantEvents: [],
  },
  {
    name: 'one adopted, one of an unknown revision stopped',
    records: [rec('svc-1-a'), rec('svc-7-b', { revision: 7, port: 41001 })],
    alive: ['svc-1-a', 'svc-7-b'],
    revisions: ['svc/1'],
    wantAdopted: ['svc-1-a'],
    wantStopped: ['svc-7-b'],
    wantRecords: ['svc-1-a'],
    wantEvents: ['Adopted'],
  },
];

function fakeRunning(clock: ManualClock, r: AdoptRecord, stopped: string[]): RunningInstance {
  let settle!: (e: ExitInfo) => void;
  const exited = new Promise<ExitInfo>((res) => {
    settle = res;
  });
  return {
    instanceId: r.instanceId,
    host: '127.0.0.1',
    port: r.port,
    pid: r.pid,
    startedAt: r.startedAt,
    exited,
    async stop() {
      stopped.push(r.instanceId);
      const e: ExitInfo = { exitCode: 0, signal: 'SIGTERM', reason: 'Completed', message: '', finishedAt: clock.now() };
      settle(e);
      return e;
    },
    exec: async () => ({ exitCode: 0, output: '', timedOut: false }),
    cpuSeconds: () => undefined,
  };
}

describe('LocalPlatform.start (re-adoption)', () => {
  it.each(rows)('$name', async (row) => {
    const clock = new ManualClock();
    const table = new Map(row.records.map((r) => [r.id, r]));
    const records: LocalRecords = {
      list: () => [...table.values()],
      upsert: (r) => table.set(r.id, r),
      delete: (id) => table.delete(id),
    };
    const stopped: string[] = [];
    const runtime: InstanceRuntime = {
      kind: 'process',
      start: async () => {
        throw new Error('re-adoption starts nothing');
      },
      adopt: async (r) => (row.alive.includes(r.instanceId) ? fakeRunning(clock, r, stopped) : null),
      unsupportedReason: () => null,
    };
    const events: string[] = [];
    const platform = new LocalPlatform({
      runtime,
      clock,
      home: '/nonexistent',
      records,
      createProber: () => ({
        start() {},
        stop() {},
        terminating() {},
        health: () => ({ ready: false, live: true, started: true, last: {} }),
      }),
      drain: async () => undefined,
      event: (e) => events.push(e.reason),
      changed: () => undefined,
    });
    const spec = makeSpec([{ command: 'python3 app.py', port: 8000 }]);
    await platform.start((service, revision): RevisionPlan | undefined =>
      row.revisions.includes(`${service}/${revision}`)
        ? { revision, spec, plan: makeInstancePlan(spec, revision) }
        : undefined,
    );
    await until(() => events.length >= row.wantEvents.length, 'the adopted instances to report');

    const views = [...new Set(row.records.map((r) => r.service))].flatMap((s) => platform.instances(s));
    expect(views.map((v) => v.id).sort()).toEqual(row.wantAdopted);
    for (const v of views) {
      const r = row.records.find((x) => x.id === v.id);
      expect(v).toMatchObject({ restarts: r?.restarts, platform: { kind: 'local', runtime: 'process', pid: r?.pid } });
    }
    expect(stopped.sort()).toEqual(row.wantStopped);
    expect([...table.keys()].sort()).toEqual(row.wantRecords);
    expect(events).toEqual(row.wantEvents);
    await platform.close(true);
    expect(table.size).toBe(0);
  });
});
