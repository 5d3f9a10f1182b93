/**
 * Schema migrations: an ordered list of SQL steps. `PRAGMA user_version` holds how
 * many have been applied; each step runs in its own transaction together with the
 * bump of user_version, so a crash leaves the database at a whole step.
 *
 * Append new steps at the end; never edit or reorder a released one.
 */

import type Database from 'better-sqlite3';
import { PierError } from '../errors.js';

export const MIGRATIONS: readonly string[] = [
  // 1: services, revisions, events, instances, settings.
  `
  CREATE TABLE services (
    name              TEXT    PRIMARY KEY,
    token             TEXT    NOT NULL,
    revision          INTEGER NOT NULL,
    desired_instances INTEGER NOT NULL,
    stopped           INTEGER NOT NULL DEFAULT 0,
    deleting          INTEGER NOT NULL DEFAULT 0,
    -- events currently kept for the service, so trimming needs no count(*)
    event_count       INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE revisions (
    service    TEXT    NOT NULL REFERENCES services(name) ON DELETE CASCADE,
    number     INTEGER NOT NULL,
    spec       TEXT    NOT NULL,
    summary    TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (service, number)
  ) STRICT, WITHOUT ROWID;

  -- AUTOINCREMENT: ids never come back after a trim or a delete, so sinceId cursors stay valid.
  CREATE TABLE events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    service  TEXT    NOT NULL REFERENCES services(name) ON DELETE CASCADE,
    type     TEXT    NOT NULL CHECK (type IN ('Normal', 'Warning')),
    reason   TEXT    NOT NULL,
    message  TEXT    NOT NULL,
    instance TEXT,
    revision INTEGER,
    time     INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX events_by_service ON events (service, id);

  CREATE TABLE instances (
    id         TEXT    PRIMARY KEY,
    service    TEXT    NOT NULL REFERENCES services(name) ON DELETE CASCADE,
    revision   INTEGER NOT NULL,
    runtime    TEXT    NOT NULL CHECK (runtime IN ('process', 'container')),
    pid        INTEGER,
    port       INTEGER,
    log_dir    TEXT    NOT NULL,
    started_at INTEGER NOT NULL,
    restarts   INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  CREATE INDEX instances_by_service ON instances (service);

  CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT, WITHOUT ROWID;
  `,
  // 2: an instance's last known readiness, so a restarted control plane keeps routing to
  // re-adopted instances until a probe says otherwise. NULL: unknown (rows of version 1).
  `
  ALTER TABLE instances ADD COLUMN ready INTEGER CHECK (ready IN (0, 1));
  ALTER TABLE instances ADD COLUMN ready_since INTEGER;
  `,
  // 3: the schema versions of the tables other components keep in this file
  // (Store.openComponent). The instances table of steps 1-2 held the local platform's
  // re-adoption records; the store no longer reads it: the local platform's own first
  // migration moves its rows into that platform's table and drops it.
  `
  CREATE TABLE component_versions (
    component TEXT    PRIMARY KEY,
    version   INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  `,
  // 4: service groups (metadata.group): the group's token, traffic mode and affinity, and
  // each member's custom weight and standalone flag. Membership itself is the spec's.
  `
  CREATE TABLE groups (
    name       TEXT    PRIMARY KEY,
    token      TEXT    NOT NULL,
    mode       TEXT    NOT NULL DEFAULT 'auto' CHECK (mode IN ('auto', 'custom')),
    -- 'header:<name>' or 'cookie:<name>'; NULL: no affinity
    affinity   TEXT,
    created_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE group_members (
    grp        TEXT    NOT NULL REFERENCES groups(name) ON DELETE CASCADE,
    service    TEXT    NOT NULL REFERENCES services(name) ON DELETE CASCADE,
    weight     INTEGER NOT NULL CHECK (weight BETWEEN 0 AND 1000),
    standalone INTEGER NOT NULL DEFAULT 0 CHECK (standalone IN (0, 1)),
    PRIMARY KEY (grp, service)
  ) STRICT, WITHOUT ROWID;
  `,
  // 5: revision traffic inside a service (Knative-style): each revision's percent of the
  // service's traffic. No row: 100% to the current revision (a rolling update on modify).
  `
  CREATE TABLE service_traffic (
    service  TEXT    NOT NULL REFERENCES services(name) ON DELETE CASCADE,
    revision INTEGER NOT NULL,
    percent  INTEGER NOT NULL CHECK (percent BETWEEN 1 AND 100),
    PRIMARY KEY (service, revision),
    FOREIGN KEY (service, revision) REFERENCES revisions(service, number) ON DELETE CASCADE
  ) STRICT, WITHOUT ROWID;
  `,
];

/** Where a list of steps keeps how many of them a database has. */
interface VersionSlot {
  /** "schema" or "schema of component local", for messages. */
  what: string;
  get(): number;
  set(version: number): void;
}

/** Brings `db` up to `steps.length`; returns the version it found. */
export function migrate(db: Database.Database, steps: readonly string[] = MIGRATIONS): number {
  return migrateSlot(db, steps, {
    what: 'schema',
    get: () => db.pragma('user_version', { simple: true }) as number,
    set: (version) => db.pragma(`user_version = ${version}`),
  });
}

/**
 * Brings the tables `component` keeps in `db` up to `steps.length`, its version held in
 * component_versions (store migration 3); returns the version it found. Each step and
 * its version bump commit together, as with `migrate`.
 */
export function migrateComponent(db: Database.Database, component: string, steps: readonly string[]): number {
  const get = db.prepare<[string], { version: number }>('SELECT version FROM component_versions WHERE component = ?');
  const set = db.prepare<[string, number]>(
    `INSERT INTO component_versions (component, version) VALUES (?, ?)
     ON CONFLICT (component) DO UPDATE SET version = excluded.version`,
  );
  return migrateSlot(db, steps, {
    what: `schema of component "${component}"`,
    get: () => get.get(component)?.version ?? 0,
    set: (version) => set.run(component, version),
  });
}

function migrateSlot(db: Database.Database, steps: readonly string[], slot: VersionSlot): number {
  const found = slot.get();
  if (found > steps.length) {
    throw new PierError(
      'INTERNAL',
      `database ${db.name} has ${slot.what} version ${found}, but this Pier knows versions up to ${steps.length}; ` +
        'it was written by a newer Pier: upgrade Pier, or point PIER_HOME at another directory',
    );
  }
  for (let version = found; version < steps.length; version++) {
    const apply = db.transaction(() => {
      db.exec(steps[version]);
      slot.set(version + 1);
    });
    try {
      apply();
    } catch (err) {
      throw new PierError(
        'INTERNAL',
        `${slot.what} migration ${version + 1} of ${db.name} failed: ${err instanceof Error ? err.message : String(err)}`,
        {
          cause: err,
        },
      );
    }
  }
  return found;
}
