/** The local platform's re-adoption records in the store's file, and the move from an older Pier's `instances` table. */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleSpec } from '../../../test/support/store.js';
import { DB_FILE, MIGRATIONS, migrate, openStore, type Store } from '../../store/index.js';
import { type LocalInstanceRecord, openLocalRecords } from './records.js';

let home: string;
const stores: Store[] = [];

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'pier-local-records-'));
});

afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  rmSync(home, { recursive: true, force: true });
});

function open(): Store {
  const store = openStore({ home });
  stores.push(store);
  return store;
}

function record(id: string, service: string, startedAt: number): LocalInstanceRecord {
  return {
    id,
    service,
    revision: 1,
    runtime: 'process',
    pid: 100,
    port: 30000,
    logDir: `/logs/${id}`,
    startedAt,
    restarts: 0,
  };
}

function columns(db: Database.Database, table: string): string[] {
  return db
    .prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`)
    .all()
    .map((c) => c.name);
}

describe('local records', () => {
  it('upserts, lists by service and start time, deletes, and keeps them across a reopen', () => {
    const records = openLocalRecords(open());
    records.upsert(record('a-2', 'a', 20));
    records.upsert(record('a-1', 'a', 10));
    records.upsert(record('b-1', 'b', 5));
    const restarted: LocalInstanceRecord = {
      ...record('a-1', 'a', 30),
      pid: null,
      port: null,
      restarts: 2,
      runtime: 'container',
      ready: true,
      readySince: 31,
    };
    records.upsert(restarted);
    records.delete('missing');
    expect(records.list()).toEqual([record('a-2', 'a', 20), restarted, record('b-1', 'b', 5)]);
    records.delete('a-2');
    stores.pop()?.close();

    const again = openLocalRecords(open());
    expect(again.list()).toEqual([restarted, record('b-1', 'b', 5)]);
  });

  it('needs no service row: a record outlives its service until the platform stops the process', () => {
    const store = open();
    store.createService({ name: 'gone', token: 't', spec: sampleSpec('gone'), desiredInstances: 1, summary: 'i' });
    const records = openLocalRecords(store);
    records.upsert(record('gone-1', 'gone', 1));
    store.deleteService('gone');
    records.upsert(record('never-1', 'never', 2));
    expect(records.list().map((r) => r.id)).toEqual(['gone-1', 'never-1']);
  });

  it("moves an older Pier's instances rows (store schema 2) into its own table and drops the old one", () => {
    // A home as a Pier before the platform seam left it after a kill -9: schema 2, rows in `instances`.
    const raw = new Database(join(home, DB_FILE));
    migrate(raw, MIGRATIONS.slice(0, 2));
    raw
      .prepare(
        'INSERT INTO services (name, token, revision, desired_instances, created_at, updated_at) VALUES (?, ?, 1, 2, 1, 1)',
      )
      .run('old', 'tok');
    const insert = raw.prepare(
      `INSERT INTO instances (id, service, revision, runtime, pid, port, log_dir, started_at, restarts, ready, ready_since)
       VALUES (?, 'old', 1, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    insert.run('old-1', 'process', 4242, 40001, '/h/logs/old/old-1', 10, 0, 1, 12);
    insert.run('old-2', 'container', 4343, 40002, '/h/logs/old/old-2', 11, 3, null, null);
    raw.close();

    const store = open();
    expect(store.requireService('old').desiredInstances).toBe(2);
    const records = openLocalRecords(store);
    expect(records.list()).toEqual([
      {
        ...record('old-1', 'old', 10),
        pid: 4242,
        port: 40001,
        logDir: '/h/logs/old/old-1',
        ready: true,
        readySince: 12,
      },
      {
        ...record('old-2', 'old', 11),
        runtime: 'container',
        pid: 4343,
        port: 40002,
        logDir: '/h/logs/old/old-2',
        restarts: 3,
      },
    ]);
    stores.pop()?.close();

    const check = new Database(join(home, DB_FILE), { readonly: true });
    expect(columns(check, 'instances')).toEqual([]);
    expect(columns(check, 'local_instances')).toContain('pid');
    check.close();
    // Reopening applies nothing again and keeps the moved rows.
    expect(
      openLocalRecords(open())
        .list()
        .map((r) => r.id),
    ).toEqual(['old-1', 'old-2']);
  });
});
