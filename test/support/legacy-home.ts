/**
 * Turns a home written by this Pier back into what a Pier before the platform seam
 * left (store schema 2, the local platform's re-adoption rows in the store's
 * `instances` table), keeping its rows: the upgrade path of a home whose server was
 * killed under the older Pier with its instances still running.
 */

import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DB_FILE, MIGRATIONS } from '../../src/store/index.js';

/** The store schema Pier had before the seam (migrations 1-2). */
const LEGACY_VERSION = 2;
const LEGACY_TABLES = new Set(['services', 'revisions', 'events', 'instances', 'settings', 'sqlite_sequence']);

export function downgradeToLegacyHome(home: string): number {
  const db = new Database(join(home, DB_FILE));
  try {
    const move = db.transaction(() => {
      // Store migrations 1-2 as an older Pier ran them, then its rows back in place.
      db.exec('DROP TABLE IF EXISTS instances');
      db.exec(
        `CREATE TABLE instances (
           id TEXT PRIMARY KEY, service TEXT NOT NULL REFERENCES services(name) ON DELETE CASCADE,
           revision INTEGER NOT NULL, runtime TEXT NOT NULL CHECK (runtime IN ('process', 'container')),
           pid INTEGER, port INTEGER, log_dir TEXT NOT NULL, started_at INTEGER NOT NULL,
           restarts INTEGER NOT NULL DEFAULT 0) STRICT`,
      );
      db.exec(MIGRATIONS[1] as string);
      db.exec(
        `INSERT INTO instances (id, service, revision, runtime, pid, port, log_dir, started_at, restarts, ready, ready_since)
         SELECT id, service, revision, runtime, pid, port, log_dir, started_at, restarts, ready, ready_since
         FROM local_instances`,
      );
      const moved = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM instances').get()?.n ?? 0;
      // Tables of later store migrations (component versions, groups, revision traffic…)
      // did not exist yet: keep only the legacy schema's.
      const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all();
      for (const { name } of tables) if (!LEGACY_TABLES.has(name)) db.exec(`DROP TABLE "${name}"`);
      db.pragma(`user_version = ${LEGACY_VERSION}`);
      return moved;
    });
    return move();
  } finally {
    db.close();
  }
}
