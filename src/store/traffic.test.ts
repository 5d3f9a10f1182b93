import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { sampleSpec } from '../../test/support/store.js';
import { MIGRATIONS, migrate, openStore, type Store } from './index.js';

let home: string;
let store: Store;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'pier-traffic-'));
  store = openStore({ home, clock: new ManualClock() });
  store.createService({ name: 'a', token: 't-a', spec: sampleSpec('a'), desiredInstances: 2, summary: 'initial' });
  store.addRevision('a', sampleSpec('a'), 'second');
});

afterEach(() => {
  store.close();
  rmSync(home, { recursive: true, force: true });
});

describe('TrafficTable', () => {
  it('has no split for a new service', () => {
    expect(store.traffic.get('a')).toEqual([]);
    expect(store.traffic.all().size).toBe(0);
  });

  it('stores a split by revision, replaces it whole, and leaves out 0% targets', () => {
    store.traffic.set('a', [
      { revision: 2, percent: 10 },
      { revision: 1, percent: 90 },
    ]);
    expect(store.traffic.get('a')).toEqual([
      { revision: 1, percent: 90 },
      { revision: 2, percent: 10 },
    ]);
    store.traffic.set('a', [
      { revision: 1, percent: 0 },
      { revision: 2, percent: 100 },
    ]);
    expect(store.traffic.get('a')).toEqual([{ revision: 2, percent: 100 }]);
    expect(store.traffic.all()).toEqual(new Map([['a', [{ revision: 2, percent: 100 }]]]));
    store.traffic.set('a', []);
    expect(store.traffic.get('a')).toEqual([]);
  });

  it('refuses a revision the service does not have, and goes with the service', () => {
    expect(() => store.traffic.set('a', [{ revision: 7, percent: 100 }])).toThrow(/FOREIGN KEY/);
    store.traffic.set('a', [{ revision: 2, percent: 100 }]);
    store.deleteService('a');
    expect(store.traffic.get('a')).toEqual([]);
  });
});

describe('migration 5 (service_traffic)', () => {
  it('brings a version 4 database with services up, with no split', () => {
    const db = new Database(join(home, 'v4.db'));
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS.slice(0, 4));
    db.prepare(
      "INSERT INTO services (name, token, revision, desired_instances, created_at, updated_at) VALUES ('s', 't', 1, 1, 0, 0)",
    ).run();
    expect(migrate(db)).toBe(4);
    expect(db.pragma('user_version', { simple: true })).toBe(5);
    expect(db.prepare('SELECT count(*) AS n FROM service_traffic').get()).toEqual({ n: 0 });
    db.close();
  });
});
