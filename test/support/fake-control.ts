/**
 * A ControlPlane for tests: every call is answered from a small in-memory map,
 * and any method can be replaced. Not used outside tests.
 */

import { checkTraffic } from '../../src/controller/traffic.js';
import { PierError } from '../../src/errors.js';
import type { EndpointSnapshot } from '../../src/gateway/index.js';
import type { ControlPlane, EndpointAck, GatewayStatsReport, ServiceDescription } from '../../src/api/control-plane.js';

export interface FakeEndpoints {
  current(): EndpointSnapshot;
  subscribe(listener: (snapshot: EndpointSnapshot) => void): () => void;
  publish(snapshot: EndpointSnapshot): void;
  listeners(): number;
}

export function createFakeEndpoints(initial: EndpointSnapshot = { version: 1, services: {} }): FakeEndpoints {
  let current = initial;
  const listeners = new Set<(snapshot: EndpointSnapshot) => void>();
  return {
    current: () => current,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    publish(snapshot) {
      current = snapshot;
      for (const l of listeners) l(snapshot);
    },
    listeners: () => listeners.size,
  };
}

export function fakeDescription(name: string, extra: Partial<ServiceDescription> = {}): ServiceDescription {
  return {
    name,
    status: 'Running',
    revision: 1,
    desired: 1,
    instances: { total: 1, pending: 0, running: 1, ready: 1 },
    endpoint: `http://127.0.0.1:8080/api/predict/${name}`,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    token: `token-of-${name}`,
    spec: { name } as ServiceDescription['spec'],
    revisions: [{ number: 1, createdAt: 1_700_000_000_000, summary: 'initial', current: true }],
    traffic: [{ revision: 1, percent: 100, readyInstances: 1 }],
    ...extra,
  };
}

export function notFound(name: string): PierError {
  return new PierError('SERVICE_NOT_FOUND', `service "${name}" not found`);
}

/** What the fake saw of remote gateways: open watches per gateway id, and every ack. */
export interface FakeGateways {
  watching: Map<string, number>;
  acks: EndpointAck[];
  stats: GatewayStatsReport[];
}

export type FakeControl = ControlPlane & { endpoints: FakeEndpoints; gateways: FakeGateways };

/** A fake with one service "demo"; pass overrides for the calls a test cares about. */
export function createFakeControl(overrides: Partial<ControlPlane> = {}): FakeControl {
  const services = new Map<string, ServiceDescription>([['demo', fakeDescription('demo')]]);
  const get = (name: string) => {
    const found = services.get(name);
    if (!found) throw notFound(name);
    return found;
  };
  const gateways: FakeGateways = { watching: new Map(), acks: [], stats: [] };
  const base: FakeControl = {
    validate: (spec) => ({ ok: true, name: (spec as { name?: string }).name, errors: [], warnings: [] }),
    async create(spec) {
      const name = String((spec as { name?: unknown }).name ?? '');
      if (services.has(name)) throw new PierError('SERVICE_EXISTS', `service "${name}" already exists`);
      const service = fakeDescription(name, { status: 'Creating' });
      services.set(name, service);
      return { service, warnings: [] };
    },
    list: () => [...services.values()],
    describe: get,
    async modify(name) {
      return { service: get(name), newRevision: true, scaled: false, warnings: [] };
    },
    async delete(name) {
      get(name);
      services.delete(name);
    },
    stop: async (name) => ({ ...get(name), status: 'Stopped' }),
    start: async (name) => get(name),
    scale: async (name, instances) => ({ ...get(name), desired: instances }),
    async rollback(name, revision) {
      if (revision !== 1) throw new PierError('REVISION_NOT_FOUND', `revision ${revision} of ${name} not found`);
      return get(name);
    },
    restart: async (name) => get(name),
    setTraffic: (name, traffic) => {
      const split = checkTraffic(traffic, new Set([1, 2]));
      return { ...get(name), traffic: split.map((t) => ({ ...t, readyInstances: 0 })) };
    },
    promote: (name, revision) => {
      if (revision > 2) throw new PierError('REVISION_NOT_FOUND', `revision ${revision} of ${name} not found`);
      return { ...get(name), revision };
    },
    activate: (name) => {
      get(name);
    },
    diff: (name, from, to) => {
      get(name);
      return { from, to, changes: [] };
    },
    revisions: (name) => [
      { service: get(name).name, number: 1, spec: get(name).spec, summary: 'initial', createdAt: 1_700_000_000_000 },
    ],
    instances: (name) => {
      get(name);
      return [];
    },
    queue: (name) => {
      const endpoint = get(name).endpoint;
      return {
        input: { endpoint, length: 3, consumers: 2, oldest: { index: 7, ageMs: 4000 } },
        sink: { endpoint: `${endpoint}/sink`, length: 1, consumers: 0 },
        instances: 2,
      };
    },
    events: (name) => {
      get(name);
      return [];
    },
    async logs(name) {
      get(name);
      return 'line 1\nline 2\n';
    },
    async followLogs(name, _query, _onChunk, signal) {
      get(name);
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    },
    groups: () => [],
    group: (name) => {
      throw new PierError('GROUP_NOT_FOUND', `service group "${name}" not found`);
    },
    setGroupTraffic: (name) => {
      throw new PierError('GROUP_NOT_FOUND', `service group "${name}" not found`);
    },
    endpoints: createFakeEndpoints(),
    gateways,
    watchOpened(gateway) {
      gateways.watching.set(gateway, (gateways.watching.get(gateway) ?? 0) + 1);
    },
    watchClosed(gateway) {
      const n = (gateways.watching.get(gateway) ?? 0) - 1;
      if (n > 0) gateways.watching.set(gateway, n);
      else gateways.watching.delete(gateway);
    },
    ackEndpoints(ack) {
      gateways.acks.push(ack);
    },
    reportGatewayStats(report) {
      gateways.stats.push(report);
    },
  };
  return Object.assign(base, overrides);
}
