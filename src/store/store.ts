/**
 * The store: one SQLite file in WAL mode with synchronous=FULL, so every method
 * that returns has committed and fsynced its write (a kill -9 right after loses
 * nothing). All methods are synchronous; each write is one transaction, begun
 * IMMEDIATE so that a second process on the same file waits (busy_timeout) instead
 * of failing when its read-then-write races another writer.
 */

import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type Clock, createRealClock } from '../clock.js';
import { PierError } from '../errors.js';
import type { ServiceSpec } from '../spec/index.js';
import { GroupTable } from './groups.js';
import { TrafficTable } from './traffic.js';
import { migrate, migrateComponent } from './migrations.js';
import { prepareStatements, type Statements } from './statements.js';
import { type EventRow, toEvent, toRevision, toService } from './rows.js';
import type { EventInput, EventRecord, RevisionRecord, ServiceRecord } from './types.js';

export const DB_FILE = 'pier.db';
export const MAX_EVENTS_PER_SERVICE = 10_000;
/** How long a write waits for another connection's lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;

export interface StoreOptions {
  /** State directory; created with mode 0700 when missing. The database is `<home>/pier.db`. */
  home: string;
  clock?: Clock;
  /** Oldest events of a service are dropped beyond this many. Default 10,000. */
  maxEventsPerService?: number;
}

export interface CreateServiceInput {
  name: string;
  token: string;
  spec: ServiceSpec;
  desiredInstances: number;
  summary: string;
  /**
   * The number `spec` is stored as (default 1), and the older revisions kept with it:
   * a service rebuilt from elsewhere (PierService objects and their
   * ControllerRevisions) keeps its numbers, so its running instances stay current.
   */
  revision?: number;
  history?: { number: number; spec: ServiceSpec }[];
}

export type ServicePatch = Partial<
  Pick<ServiceRecord, 'revision' | 'desiredInstances' | 'stopped' | 'deleting' | 'token'>
>;

export interface ListEventsOptions {
  /** Only events with a larger id. */
  sinceId?: number;
  /** Keep only the newest N (still returned oldest first). */
  limit?: number;
}

export function openStore(opts: StoreOptions): Store {
  mkdirSync(opts.home, { recursive: true, mode: 0o700 });
  const file = join(opts.home, DB_FILE);
  const db = new Database(file);
  try {
    // The file holds service tokens; the WAL and shm files inherit this mode.
    chmodSync(file, 0o600);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`); // first: switching to WAL takes a lock too
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new PierError('INTERNAL', `cannot put ${file} in WAL mode (got ${String(mode)})`);
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    return new Store(db, opts.clock ?? createRealClock(), opts.maxEventsPerService ?? MAX_EVENTS_PER_SERVICE);
  } catch (err) {
    db.close();
    throw err;
  }
}

function serviceNotFound(name: string): PierError {
  return new PierError('SERVICE_NOT_FOUND', `service "${name}" not found`);
}

function sqliteCode(err: unknown): string | undefined {
  return err instanceof Database.SqliteError ? err.code : undefined;
}

export class Store {
  private readonly stmts: Statements;
  private closed = false;
  /** Service groups (groups.ts). */
  readonly groups: GroupTable;
  /** Revision traffic splits inside services (traffic.ts). */
  readonly traffic: TrafficTable;

  /** Use `openStore`; the constructor expects a migrated connection. */
  constructor(
    private readonly db: Database.Database,
    private readonly clock: Clock,
    private readonly maxEvents: number,
  ) {
    this.stmts = prepareStatements(db);
    this.groups = new GroupTable(db, () => clock.now());
    this.traffic = new TrafficTable(db);
  }

  private get s(): Statements {
    if (this.closed) throw new PierError('INTERNAL', 'the store is closed');
    return this.stmts;
  }

  /** Runs `fn` in a BEGIN IMMEDIATE transaction (a savepoint when nested). */
  private write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Service row, revision 1 and a `Created` event, all or nothing. */
  createService(input: CreateServiceInput): { service: ServiceRecord; revision: RevisionRecord } {
    const s = this.s;
    const now = this.clock.now();
    const number = input.revision ?? 1;
    const service: ServiceRecord = {
      name: input.name,
      token: input.token,
      revision: number,
      desiredInstances: input.desiredInstances,
      stopped: false,
      deleting: false,
      createdAt: now,
      updatedAt: now,
    };
    const json = JSON.stringify(input.spec);
    const revision: RevisionRecord = {
      service: input.name,
      number,
      spec: JSON.parse(json) as ServiceSpec, // a copy, as a later read returns
      summary: input.summary,
      createdAt: now,
    };
    this.write(() => {
      try {
        s.insertService.run(serviceParams(service));
      } catch (err) {
        if (sqliteCode(err) === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new PierError('SERVICE_EXISTS', `service "${input.name}" already exists`, { cause: err });
        }
        throw err;
      }
      for (const old of input.history ?? []) {
        if (old.number < number) s.insertRevision.run(input.name, old.number, JSON.stringify(old.spec), 'kept', now);
      }
      s.insertRevision.run(input.name, number, json, input.summary, now);
      this.appendEvent({
        service: input.name,
        type: 'Normal',
        reason: 'Created',
        message: `created service "${input.name}" at revision ${number} with ${input.desiredInstances} instance(s)`,
        revision: number,
        time: now,
      });
    });
    return { service, revision };
  }

  getService(name: string): ServiceRecord | undefined {
    const row = this.s.getService.get(name);
    return row && toService(row);
  }

  /** Throws SERVICE_NOT_FOUND. */
  requireService(name: string): ServiceRecord {
    const service = this.getService(name);
    if (!service) throw serviceNotFound(name);
    return service;
  }

  /** All services, by name. */
  listServices(): ServiceRecord[] {
    return this.s.listServices.all().map(toService);
  }

  /** Throws SERVICE_NOT_FOUND, or REVISION_NOT_FOUND when `patch.revision` does not exist. */
  updateService(name: string, patch: ServicePatch): ServiceRecord {
    const s = this.s;
    return this.write(() => {
      const current = this.requireService(name);
      if (patch.revision !== undefined && patch.revision !== current.revision)
        this.requireRevision(name, patch.revision);
      const next: ServiceRecord = { ...current, ...definedOnly(patch), updatedAt: this.clock.now() };
      s.updateService.run(serviceParams(next));
      return next;
    });
  }

  /**
   * Removes the service with its revisions and events. A no-op for an
   * unknown name, so a delete finished twice (API call and the reconciler after a
   * restart) does not fail; callers that want a 404 use `requireService` first.
   */
  deleteService(name: string): void {
    // Foreign keys cascade to revisions and events.
    this.s.deleteService.run(name);
  }

  /**
   * Adds revision max+1 of the service's spec. It does not change which revision the
   * service runs: the rollout does that with `updateService(name, {revision})`.
   */
  addRevision(name: string, spec: ServiceSpec, summary: string): RevisionRecord {
    const s = this.s;
    return this.write(() => {
      this.requireService(name);
      const number = (s.maxRevision.get(name)?.n ?? 0) + 1;
      const createdAt = this.clock.now();
      const json = JSON.stringify(spec);
      s.insertRevision.run(name, number, json, summary, createdAt);
      return { service: name, number, spec: JSON.parse(json) as ServiceSpec, summary, createdAt };
    });
  }

  getRevision(name: string, number: number): RevisionRecord | undefined {
    const row = this.s.getRevision.get(name, number);
    return row && toRevision(row);
  }

  /** Throws SERVICE_NOT_FOUND or REVISION_NOT_FOUND. */
  requireRevision(name: string, number: number): RevisionRecord {
    const revision = this.getRevision(name, number);
    if (revision) return revision;
    this.requireService(name);
    throw new PierError('REVISION_NOT_FOUND', `revision ${number} of service "${name}" not found`);
  }

  /** Oldest first; empty for an unknown service. */
  listRevisions(name: string): RevisionRecord[] {
    return this.s.listRevisions.all(name).map(toRevision);
  }

  /**
   * Appends an event and drops the service's oldest beyond the limit. Throws
   * SERVICE_NOT_FOUND: events live and die with their service.
   */
  appendEvent(e: EventInput): EventRecord {
    const s = this.s;
    return this.write(() => {
      const counted = s.countEvent.get(e.service);
      if (!counted) throw serviceNotFound(e.service);
      const row: Omit<EventRow, 'id'> = {
        service: e.service,
        type: e.type,
        reason: e.reason,
        message: e.message,
        instance: e.instance ?? null,
        revision: e.revision ?? null,
        time: e.time ?? this.clock.now(),
      };
      const id = Number(s.insertEvent.run(row).lastInsertRowid);
      if (counted.event_count > this.maxEvents) {
        s.trimEvents.run(e.service, counted.event_count - this.maxEvents);
        s.setEventCount.run(this.maxEvents, e.service);
      }
      return toEvent({ id, ...row });
    });
  }

  /** Events of a service, ascending id; empty for an unknown service. */
  listEvents(name: string, opts: ListEventsOptions = {}): EventRecord[] {
    const limit = opts.limit ?? -1; // SQLite: a negative LIMIT means none
    return this.s.listEvents.all(name, opts.sinceId ?? 0, limit).map(toEvent);
  }

  /**
   * The connection, for a component that keeps its own tables in this file (the local
   * platform's re-adoption records): its `steps` are applied first, versioned apart from
   * the store's (migrateComponent). The store never reads those tables; they share its
   * durability (WAL, synchronous=FULL) and are closed with it.
   */
  openComponent(component: string, steps: readonly string[]): Database.Database {
    if (this.closed) throw new PierError('INTERNAL', 'the store is closed');
    migrateComponent(this.db, component, steps);
    return this.db;
  }

  getSetting(key: string): string | undefined {
    return this.s.getSetting.get(key)?.value;
  }

  setSetting(key: string, value: string): void {
    this.s.setSetting.run(key, value);
  }

  /** Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

function serviceParams(r: ServiceRecord) {
  return {
    name: r.name,
    token: r.token,
    revision: r.revision,
    desired_instances: r.desiredInstances,
    stopped: r.stopped ? 1 : 0,
    deleting: r.deleting ? 1 : 0,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

/** `{a: undefined}` in a patch means "leave a alone", as with `exactOptionalPropertyTypes` off it may appear. */
function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}
