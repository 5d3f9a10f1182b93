/** Every SQL statement the store runs, prepared once per connection. */

import type Database from 'better-sqlite3';
import type { EventRow, RevisionRow, ServiceRow } from './rows.js';

export type Statements = ReturnType<typeof prepareStatements>;

export function prepareStatements(db: Database.Database) {
  return {
    insertService: db.prepare(
      `INSERT INTO services (name, token, revision, desired_instances, stopped, deleting, created_at, updated_at)
       VALUES (@name, @token, @revision, @desired_instances, @stopped, @deleting, @created_at, @updated_at)`,
    ),
    getService: db.prepare<[string], ServiceRow>('SELECT * FROM services WHERE name = ?'),
    listServices: db.prepare<[], ServiceRow>('SELECT * FROM services ORDER BY name'),
    updateService: db.prepare(
      `UPDATE services SET token = @token, revision = @revision, desired_instances = @desired_instances,
       stopped = @stopped, deleting = @deleting, updated_at = @updated_at WHERE name = @name`,
    ),
    deleteService: db.prepare<[string]>('DELETE FROM services WHERE name = ?'),
    insertRevision: db.prepare(
      'INSERT INTO revisions (service, number, spec, summary, created_at) VALUES (?, ?, ?, ?, ?)',
    ),
    maxRevision: db.prepare<[string], { n: number | null }>('SELECT max(number) AS n FROM revisions WHERE service = ?'),
    getRevision: db.prepare<[string, number], RevisionRow>('SELECT * FROM revisions WHERE service = ? AND number = ?'),
    listRevisions: db.prepare<[string], RevisionRow>('SELECT * FROM revisions WHERE service = ? ORDER BY number'),
    countEvent: db.prepare<[string], { event_count: number }>(
      'UPDATE services SET event_count = event_count + 1 WHERE name = ? RETURNING event_count',
    ),
    insertEvent: db.prepare(
      `INSERT INTO events (service, type, reason, message, instance, revision, time)
       VALUES (@service, @type, @reason, @message, @instance, @revision, @time)`,
    ),
    trimEvents: db.prepare<[string, number]>(
      'DELETE FROM events WHERE id IN (SELECT id FROM events WHERE service = ? ORDER BY id LIMIT ?)',
    ),
    setEventCount: db.prepare<[number, string]>('UPDATE services SET event_count = ? WHERE name = ?'),
    listEvents: db.prepare<[string, number, number], EventRow>(
      `SELECT * FROM (SELECT * FROM events WHERE service = ? AND id > ? ORDER BY id DESC LIMIT ?) ORDER BY id`,
    ),
    getSetting: db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?'),
    setSetting: db.prepare<[string, string]>(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
  };
}
