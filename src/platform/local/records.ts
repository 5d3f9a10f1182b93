/**
 * What a restarted Pier needs to re-adopt the instances an earlier one left running
 * (a `kill -9` leaves them up): the local platform's own table, kept in the store's
 * SQLite file through `Store.openComponent`. The same file rather than one of its own
 * so that these rows share the store's WAL and fsync on every write, are backed up
 * and moved with the home as one file, and so that the rows older Pier versions kept
 * in the store's `instances` table can be moved over inside one transaction.
 */

import type Database from 'better-sqlite3';
import type { Store } from '../../store/index.js';

/** One instance as the local platform last saw it running. */
export interface LocalInstanceRecord {
  id: string;
  service: string;
  revision: number;
  runtime: 'process' | 'container';
  /** The process group (process runtime) or the container's main process, as the runtime reported it. */
  pid: number | null;
  port: number | null;
  logDir: string;
  startedAt: number;
  restarts: number;
  /** Last known readiness (absent: unknown, e.g. written by a Pier before readiness was kept). */
  ready?: boolean;
  /** When it last became ready (ms epoch), while `ready`. */
  readySince?: number;
}

/** Where the local platform keeps its re-adoption records (a table here; a Map in tests). */
export interface LocalRecords {
  list(): LocalInstanceRecord[];
  upsert(record: LocalInstanceRecord): void;
  delete(id: string): void;
}

export const LOCAL_COMPONENT = 'platform-local';

/**
 * The local platform's migrations (append only, as the store's). Step 1 takes over the
 * rows Pier kept in the store's `instances` table before the platform seam (store
 * migrations 1-2 always create it, so it exists here) and drops that table. No foreign
 * key to `services`: a record whose service is gone is stopped on the next start
 * (LocalPlatform.start), where a cascade would forget a process that still runs.
 */
export const LOCAL_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE local_instances (
    id          TEXT    PRIMARY KEY,
    service     TEXT    NOT NULL,
    revision    INTEGER NOT NULL,
    runtime     TEXT    NOT NULL CHECK (runtime IN ('process', 'container')),
    pid         INTEGER,
    port        INTEGER,
    log_dir     TEXT    NOT NULL,
    started_at  INTEGER NOT NULL,
    restarts    INTEGER NOT NULL DEFAULT 0,
    ready       INTEGER CHECK (ready IN (0, 1)),
    ready_since INTEGER
  ) STRICT;
  INSERT INTO local_instances
    SELECT id, service, revision, runtime, pid, port, log_dir, started_at, restarts, ready, ready_since FROM instances;
  DROP TABLE instances;
  `,
];

interface Row {
  id: string;
  service: string;
  revision: number;
  runtime: string;
  pid: number | null;
  port: number | null;
  log_dir: string;
  started_at: number;
  restarts: number;
  ready: number | null;
  ready_since: number | null;
}

/** The records in the store's file; usable until the store is closed. */
export function openLocalRecords(store: Pick<Store, 'openComponent'>): LocalRecords {
  return sqliteRecords(store.openComponent(LOCAL_COMPONENT, LOCAL_MIGRATIONS));
}

function sqliteRecords(db: Database.Database): LocalRecords {
  const list = db.prepare<[], Row>('SELECT * FROM local_instances ORDER BY service, started_at, id');
  const upsert = db.prepare<[Row]>(
    `INSERT INTO local_instances (id, service, revision, runtime, pid, port, log_dir, started_at, restarts, ready, ready_since)
     VALUES (@id, @service, @revision, @runtime, @pid, @port, @log_dir, @started_at, @restarts, @ready, @ready_since)
     ON CONFLICT (id) DO UPDATE SET service = excluded.service, revision = excluded.revision,
       runtime = excluded.runtime, pid = excluded.pid, port = excluded.port, log_dir = excluded.log_dir,
       started_at = excluded.started_at, restarts = excluded.restarts, ready = excluded.ready,
       ready_since = excluded.ready_since`,
  );
  const remove = db.prepare<[string]>('DELETE FROM local_instances WHERE id = ?');
  return {
    list: () => list.all().map(fromRow),
    upsert: (rec) => upsert.run(toRow(rec)),
    delete: (id) => remove.run(id),
  };
}

function fromRow(row: Row): LocalInstanceRecord {
  return {
    id: row.id,
    service: row.service,
    revision: row.revision,
    runtime: row.runtime as LocalInstanceRecord['runtime'],
    pid: row.pid,
    port: row.port,
    logDir: row.log_dir,
    startedAt: row.started_at,
    restarts: row.restarts,
    ...(row.ready !== null ? { ready: row.ready !== 0 } : {}),
    ...(row.ready_since !== null ? { readySince: row.ready_since } : {}),
  };
}

function toRow(rec: LocalInstanceRecord): Row {
  return {
    id: rec.id,
    service: rec.service,
    revision: rec.revision,
    runtime: rec.runtime,
    pid: rec.pid,
    port: rec.port,
    log_dir: rec.logDir,
    started_at: rec.startedAt,
    restarts: rec.restarts,
    ready: rec.ready === undefined ? null : rec.ready ? 1 : 0,
    ready_since: rec.readySince ?? null,
  };
}
