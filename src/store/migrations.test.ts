import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PierError } from '../errors.js';
import { DB_FILE, MIGRATIONS, migrate, migrateComponent, openStore } from './index.js';
import { sampleSpec } from '../../test/support/store.js';

let home: string;
const open: Database.Database[] = [];

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'pier-migrate-'));
});

afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
  rmSync(home, { recursive: true, force: true });
});

function rawDb(): Database.Database {
  const db = new Database(join(home, DB_FILE));
  open.push(db);
  return db;
}

function tables(db: Database.Database): string[] {
  return db
    .prepare<[], { name: string }>(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .all()
    .map((r) => r.name);
}

describe('migrations', () => {
  it('migrates an empty database to the latest version, and reopening applies nothing', () => {
    const store = openStore({ home });
    store.createService({ name: 'a', token: 't', spec: sampleSpec('a'), desiredInstances: 1, summary: 'initial' });
    store.close();

    const db = rawDb();
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    // `instances` stays until the local platform takes it over (src/platform/local/records.ts).
    expect(tables(db)).toEqual([
      'component_versions',
      'events',
      'group_members',
      'groups',
      'instances',
      'revisions',
      'service_traffic',
      'services',
      'settings',
    ]);
    expect(migrate(db)).toBe(MIGRATIONS.length); // already current: nothing to do
    db.close();

    const again = openStore({ home });
    expect(again.requireService('a').token).toBe('t');
    again.close();
  });

  it('applies only the steps a database lacks, each with its version', () => {
    const db = rawDb();
    expect(migrate(db, ['CREATE TABLE one (x)'])).toBe(0);
    expect(migrate(db, ['CREATE TABLE one (x)', 'CREATE TABLE two (y)'])).toBe(1);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(tables(db)).toEqual(['one', 'two']);
  });

  it('rolls a failing step back whole and reports it as INTERNAL', () => {
    const db = rawDb();
    let err: unknown;
    try {
      migrate(db, ['CREATE TABLE one (x)', 'CREATE TABLE two (y); CREATE TABLE broken (']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PierError);
    expect((err as PierError).code).toBe('INTERNAL');
    expect((err as PierError).message).toContain('schema migration 2');
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(tables(db)).toEqual(['one']);
  });

  it("versions a component's tables apart from the store's, and refuses a newer one", () => {
    const store = openStore({ home });
    const db = store.openComponent('extra', ['CREATE TABLE extra_one (x)']);
    expect(tables(db)).toContain('extra_one');
    expect(migrateComponent(db, 'extra', ['CREATE TABLE extra_one (x)', 'CREATE TABLE extra_two (y)'])).toBe(1);
    expect(migrateComponent(db, 'other', [])).toBe(0);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    store.close();

    const again = openStore({ home });
    let err: unknown;
    try {
      again.openComponent('extra', ['CREATE TABLE extra_one (x)']);
    } catch (e) {
      err = e;
    }
    again.close();
    expect((err as PierError).code).toBe('INTERNAL');
    expect((err as PierError).message).toContain('schema of component "extra" version 2');
  });

  it('refuses a database written by a newer Pier', () => {
    const db = rawDb();
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    let err: unknown;
    try {
      openStore({ home });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PierError);
    expect((err as PierError).code).toBe('INTERNAL');
    expect((err as PierError).message).toMatch(/schema version \d+, but this Pier knows versions up to \d+/);
    expect((err as PierError).message).toContain('newer Pier');
  });
});
