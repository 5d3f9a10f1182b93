/**
 * Row shapes as SQLite returns them, and their mapping to the contract records.
 * SQLite has no booleans (0/1) and Pier's specs are stored as JSON text.
 */

import type { ServiceSpec } from '../spec/index.js';
import type { EventRecord, EventType, InstanceRecord, RevisionRecord, ServiceRecord } from './types.js';

export interface ServiceRow {
  name: string;
  token: string;
  revision: number;
  desired_instances: number;
  stopped: number;
  deleting: number;
  created_at: number;
  updated_at: number;
}

export interface RevisionRow {
  service: string;
  number: number;
  spec: string;
  summary: string;
  created_at: number;
}

export interface EventRow {
  id: number;
  service: string;
  type: string;
  reason: string;
  message: string;
  instance: string | null;
  revision: number | null;
  time: number;
}

export interface InstanceRow {
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

export function toService(row: ServiceRow): ServiceRecord {
  return {
    name: row.name,
    token: row.token,
    revision: row.revision,
    desiredInstances: row.desired_instances,
    stopped: row.stopped !== 0,
    deleting: row.deleting !== 0,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toRevision(row: RevisionRow): RevisionRecord {
  return {
    service: row.service,
    number: row.number,
    spec: JSON.parse(row.spec) as ServiceSpec,
    summary: row.summary,
    createdAt: row.created_at,
  };
}

export function toEvent(row: EventRow): EventRecord {
  const event: EventRecord = {
    id: row.id,
    service: row.service,
    type: row.type as EventType,
    reason: row.reason,
    message: row.message,
    time: row.time,
  };
  if (row.instance !== null) event.instance = row.instance;
  if (row.revision !== null) event.revision = row.revision;
  return event;
}

export function toInstance(row: InstanceRow): InstanceRecord {
  return {
    id: row.id,
    service: row.service,
    revision: row.revision,
    runtime: row.runtime as InstanceRecord['runtime'],
    pid: row.pid,
    port: row.port,
    logDir: row.log_dir,
    startedAt: row.started_at,
    restarts: row.restarts,
    ...(row.ready !== null ? { ready: row.ready !== 0 } : {}),
    ...(row.ready_since !== null ? { readySince: row.ready_since } : {}),
  };
}

/** Named parameters for an instance upsert. */
export function instanceParams(rec: InstanceRecord): InstanceRow {
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
