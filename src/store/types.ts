/**
 * Pier's durable state. Everything the API acknowledges is committed before the
 * answer is sent (better-sqlite3 is synchronous; WAL with synchronous=FULL).
 */

import type { ServiceSpec } from '../spec/index.js';

export interface ServiceRecord {
  name: string;
  token: string;
  /** The revision instances should run. */
  revision: number;
  /** Desired instance count (what `scale`/`metadata.instance` set; the autoscaler writes here too). */
  desiredInstances: number;
  /** `pier stop` keeps the service and its desired count but runs 0 instances. */
  stopped: boolean;
  /** Set by `pier delete` until the instances are gone, so a restart finishes the delete. */
  deleting: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface RevisionRecord {
  service: string;
  number: number;
  spec: ServiceSpec;
  /** One line: what changed against the previous revision ("initial", "containers[0].image: a → b"). */
  summary: string;
  createdAt: number;
}

export type EventType = 'Normal' | 'Warning';

export interface EventInput {
  service: string;
  type: EventType;
  /** CamelCase, as Kubernetes: Created, Started, Unhealthy, Killing, BackOff, OOMKilled, Ready, ScaledUp… */
  reason: string;
  message: string;
  instance?: string;
  revision?: number;
  /** Defaults to the store's clock. */
  time?: number;
}

export interface EventRecord extends Required<Omit<EventInput, 'instance' | 'revision'>> {
  id: number;
  instance?: string;
  revision?: number;
}

/** A service group's own settings; which services belong is each service's `metadata.group`. */
export interface GroupRecord {
  name: string;
  token: string;
  mode: 'auto' | 'custom';
  affinity?: { kind: 'header' | 'cookie'; key: string };
  createdAt: number;
  /** Traffic settings of members that have any; a member without a row has the defaults. */
  members: GroupMemberRecord[];
}

export interface GroupMemberRecord {
  service: string;
  /** Custom weight, 0–1000. */
  weight: number;
  standalone: boolean;
}

/** One revision's share of its service's traffic (a Knative traffic target). */
export interface TrafficTarget {
  revision: number;
  /** Whole percent, 1–100; a split's percents sum to 100. */
  percent: number;
}
