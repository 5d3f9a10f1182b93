/**
 * Row shapes as SQLite returns them, and their mapping to the contract records.
 * SQLite has no booleans (0/1) and Pier's specs are stored as JSON text.
 */

import type { ServiceSpec } from '../spec/index.js';
import type { EventRecord, EventType, RevisionRecord, ServiceRecord } from './types.js';

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
