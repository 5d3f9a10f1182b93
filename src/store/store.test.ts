import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { PierError } from '../errors.js';
import { DB_FILE, MAX_EVENTS_PER_SERVICE, openStore, type Store } from './index.js';
import { sampleSpec } from '../../test/support/store.js';

let home: string;
let clock: ManualClock;
let store: Store;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'pier-store-'));
  clock = new ManualClock();
  store = openStore({ home, clock });
});

afterEach(() => {
  store.close();
  rmSync(home, { recursive: true, force: true });
});

function create(name: string, desiredInstances = 1) {
  return store.createService({
    name,
    token: `tok-${name}`,
    spec: sampleSpec(name),
    desiredInstances,
    summary: 'initial',
  });
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof PierError ? err.code : `not a PierError: ${String(err)}`;
  }
  return undefined;
}

describe('openStore', () => {
  it('creates the home with mode 0700 and pier.db with mode 0600, in WAL mode', () => {
    const nested = join(home, 'a', 'b');
    const s = openStore({ home: nested });
    s.close();
    expect(statSync(nested).mode & 0o777).toBe(0o700);
    expect(statSync(join(nested, DB_FILE)).mode & 0o777).toBe(0o600);
    const db = new Database(join(nested, DB_FILE), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('close is safe twice and later calls fail clearly', () => {
    store.close();
    store.close();
    expect(() => store.listServices()).toThrow('the store is closed');
  });
});

describe('services', () => {
  it('creates a service with revision 1 and a Created event in one go', () => {
    clock.advance(5);
    const { service, revision } = create('echo', 2);
    expect(service).toEqual({
      name: 'echo',
      token: 'tok-echo',
      revision: 1,
      desiredInstances: 2,
      stopped: false,
      deleting: false,
      createdAt: clock.now(),
      updatedAt: clock.now(),
    });
    expect(revision).toEqual({
      service: 'echo',
      number: 1,
      spec: sampleSpec('echo'),
      summary: 'initial',
      createdAt: clock.now(),
    });
    expect(store.getService('echo')).toEqual(service);
    expect(store.listRevisions('echo')).toEqual([revision]);
    const events = store.listEvents('echo');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ service: 'echo', type: 'Normal', reason: 'Created', revision: 1 });
  });

  it('rejects a second service of the same name with SERVICE_EXISTS and changes nothing', () => {
    create('echo');
    let err: unknown;
    try {
      store.createService({
        name: 'echo',
        token: 'other',
        spec: sampleSpec('echo', 'x'),
        desiredInstances: 3,
        summary: 's',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PierError);
    expect((err as PierError).code).toBe('SERVICE_EXISTS');
    expect((err as PierError).message).toContain('"echo"');
    expect(store.requireService('echo').token).toBe('tok-echo');
    expect(store.listRevisions('echo')).toHaveLength(1);
    expect(store.listEvents('echo')).toHaveLength(1);
  });

  it('reports a missing service as SERVICE_NOT_FOUND', () => {
    expect(store.getService('nope')).toBeUndefined();
    expect(() => store.requireService('nope')).toThrow('service "nope" not found');
    expect(codeOf(() => store.requireService('nope'))).toBe('SERVICE_NOT_FOUND');
    expect(codeOf(() => store.updateService('nope', { stopped: true }))).toBe('SERVICE_NOT_FOUND');
    expect(codeOf(() => store.addRevision('nope', sampleSpec('nope'), 's'))).toBe('SERVICE_NOT_FOUND');
    expect(codeOf(() => store.requireRevision('nope', 1))).toBe('SERVICE_NOT_FOUND');
    expect(codeOf(() => store.appendEvent({ service: 'nope', type: 'Normal', reason: 'X', message: '' }))).toBe(
      'SERVICE_NOT_FOUND',
    );
    expect(store.listRevisions('nope')).toEqual([]);
    expect(store.listEvents('nope')).toEqual([]);
  });

  it('lists services by name', () => {
    create('zeta');
    create('alpha');
    create('mid');
    expect(store.listServices().map((s) => s.name)).toEqual(['alpha', 'mid', 'zeta']);
  });

  it('updates the given fields and bumps updatedAt', () => {
    const { service } = create('echo');
    store.addRevision('echo', sampleSpec('echo', 'v2'), 'image: v2');
    clock.advance(1000);
    const updated = store.updateService('echo', { revision: 2, desiredInstances: 4, stopped: true, token: 't2' });
    expect(updated).toEqual({
      ...service,
      revision: 2,
      desiredInstances: 4,
      stopped: true,
      token: 't2',
      updatedAt: service.createdAt + 1000,
    });
    expect(store.getService('echo')).toEqual(updated);
    clock.advance(1);
    const again = store.updateService('echo', { deleting: true, stopped: undefined });
    expect(again).toMatchObject({ deleting: true, stopped: true, revision: 2, updatedAt: service.createdAt + 1001 });
  });

  it('refuses to point a service at a revision it does not have', () => {
    create('echo');
    expect(codeOf(() => store.updateService('echo', { revision: 7 }))).toBe('REVISION_NOT_FOUND');
    expect(store.requireService('echo').revision).toBe(1);
  });

  it('deletes a service with its revisions and events', () => {
    create('echo');
    create('other');
    store.addRevision('echo', sampleSpec('echo', 'v2'), 'v2');
    store.appendEvent({ service: 'echo', type: 'Warning', reason: 'Unhealthy', message: 'probe failed' });
    store.deleteService('echo');
    store.deleteService('echo'); // finishing a delete twice is fine
    expect(store.getService('echo')).toBeUndefined();
    expect(store.listRevisions('echo')).toEqual([]);
    expect(store.listEvents('echo')).toEqual([]);
    expect(store.listRevisions('other').map((r) => r.number)).toEqual([1]);
    // The name is free again, starting over at revision 1 with only the new Created event.
    create('echo');
    expect(store.listRevisions('echo').map((r) => r.number)).toEqual([1]);
    expect(store.listEvents('echo').map((e) => e.reason)).toEqual(['Created']);
  });
});

describe('revisions', () => {
  it('numbers revisions 1, 2, 3… per service and lists them ascending', () => {
    create('a');
    create('b');
    clock.advance(10);
    const r2 = store.addRevision('a', sampleSpec('a', 'v2'), 'image: v2');
    const r3 = store.addRevision('a', sampleSpec('a', 'v3'), 'image: v3');
    const b2 = store.addRevision('b', sampleSpec('b', 'v2'), 'image: v2');
    expect([r2.number, r3.number, b2.number]).toEqual([2, 3, 2]);
    expect(r2).toEqual({
      service: 'a',
      number: 2,
      spec: sampleSpec('a', 'v2'),
      summary: 'image: v2',
      createdAt: clock.now(),
    });
    expect(store.listRevisions('a').map((r) => r.number)).toEqual([1, 2, 3]);
    expect(store.getRevision('a', 3)).toEqual(r3);
    expect(store.requireRevision('a', 2)).toEqual(r2);
    // Adding a revision does not change which one runs; the rollout does.
    expect(store.requireService('a').revision).toBe(1);
  });

  it('reports a missing revision as REVISION_NOT_FOUND', () => {
    create('a');
    expect(store.getRevision('a', 2)).toBeUndefined();
    expect(() => store.requireRevision('a', 2)).toThrow('revision 2 of service "a" not found');
    expect(codeOf(() => store.requireRevision('a', 2))).toBe('REVISION_NOT_FOUND');
  });

  it('keeps unknown spec fields through the JSON round trip', () => {
    create('a');
    const spec = { ...sampleSpec('a'), extra: { nested: [1, 'two', null] } };
    store.addRevision('a', spec, 'extra');
    expect(store.requireRevision('a', 2).spec).toEqual(spec);
  });
});

describe('events', () => {
  it('appends with increasing ids and the store clock by default', () => {
    create('a');
    clock.advance(7);
    const e1 = store.appendEvent({
      service: 'a',
      type: 'Warning',
      reason: 'Unhealthy',
      message: 'readiness probe failed: 503',
      instance: 'a-1',
      revision: 1,
    });
    const e2 = store.appendEvent({ service: 'a', type: 'Normal', reason: 'Ready', message: 'ok', time: 42 });
    expect(e1).toEqual({
      id: e1.id,
      service: 'a',
      type: 'Warning',
      reason: 'Unhealthy',
      message: 'readiness probe failed: 503',
      instance: 'a-1',
      revision: 1,
      time: clock.now(),
    });
    expect(e2).toEqual({ id: e1.id + 1, service: 'a', type: 'Normal', reason: 'Ready', message: 'ok', time: 42 });
    expect(store.listEvents('a').slice(1)).toEqual([e1, e2]);
  });

  it('filters by sinceId and keeps the newest N with limit, ascending', () => {
    create('a');
    create('b');
    const ids: number[] = [];
    for (let i = 0; i < 10; i++) {
      ids.push(store.appendEvent({ service: 'a', type: 'Normal', reason: 'Tick', message: String(i) }).id);
      store.appendEvent({ service: 'b', type: 'Normal', reason: 'Tick', message: String(i) });
    }
    const messages = (opts: { sinceId?: number; limit?: number }) => store.listEvents('a', opts).map((e) => e.message);
    expect(messages({ sinceId: ids[6] })).toEqual(['7', '8', '9']);
    expect(messages({ limit: 3 })).toEqual(['7', '8', '9']);
    expect(messages({ sinceId: ids[1], limit: 2 })).toEqual(['8', '9']);
    expect(messages({ sinceId: ids[7], limit: 5 })).toEqual(['8', '9']);
    expect(messages({ limit: 0 })).toEqual([]);
    expect(messages({ sinceId: ids[9] })).toEqual([]);
    expect(store.listEvents('a')).toHaveLength(11); // with Created
  });

  it('keeps at most 10,000 events per service, dropping the oldest', () => {
    expect(MAX_EVENTS_PER_SERVICE).toBe(10_000);
    create('a');
    create('b');
    const extra = 25;
    let last = 0;
    for (let i = 0; i < MAX_EVENTS_PER_SERVICE + extra; i++) {
      last = store.appendEvent({ service: 'a', type: 'Normal', reason: 'Tick', message: String(i) }).id;
    }
    const events = store.listEvents('a');
    expect(events).toHaveLength(MAX_EVENTS_PER_SERVICE);
    expect(events[0].message).toBe(String(extra)); // Created and ticks 0..extra-1 are gone
    expect(events.at(-1)?.id).toBe(last);
    expect(store.listEvents('b').map((e) => e.reason)).toEqual(['Created']);
  });

  it('trims to a configured limit and keeps trimming across reopen', () => {
    store.close();
    store = openStore({ home, clock, maxEventsPerService: 3 });
    create('a');
    for (let i = 0; i < 5; i++) store.appendEvent({ service: 'a', type: 'Normal', reason: 'Tick', message: String(i) });
    expect(store.listEvents('a').map((e) => e.message)).toEqual(['2', '3', '4']);
    store.close();
    store = openStore({ home, clock, maxEventsPerService: 3 });
    const e = store.appendEvent({ service: 'a', type: 'Normal', reason: 'Tick', message: '5' });
    expect(store.listEvents('a').map((x) => x.message)).toEqual(['3', '4', '5']);
    // Ids never come back after a trim, so a sinceId cursor stays valid.
    expect(e.id).toBeGreaterThan(6);
  });
});

describe('settings', () => {
  it('reads back what was set and overwrites', () => {
    expect(store.getSetting('k')).toBeUndefined();
    store.setSetting('k', 'v1');
    store.setSetting('k', 'v2');
    store.setSetting('other', '');
    expect(store.getSetting('k')).toBe('v2');
    expect(store.getSetting('other')).toBe('');
  });
});

describe('persistence', () => {
  it('keeps everything across close and reopen', () => {
    create('a', 3);
    store.addRevision('a', sampleSpec('a', 'v2'), 'v2');
    store.updateService('a', { revision: 2 });
    store.setSetting('k', 'v');
    const before = {
      services: store.listServices(),
      revisions: store.listRevisions('a'),
      events: store.listEvents('a'),
    };
    store.close();
    store = openStore({ home, clock });
    expect({
      services: store.listServices(),
      revisions: store.listRevisions('a'),
      events: store.listEvents('a'),
    }).toEqual(before);
    expect(store.getSetting('k')).toBe('v');
  });
});
