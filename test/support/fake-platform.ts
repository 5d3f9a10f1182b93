/** A Platform that records what the controller asks of it and reports the instances a test sets. */

import type { LogQuery } from '../../src/api/index.js';
import type {
  DesiredState,
  EndpointList,
  InstanceMetrics,
  InstanceView,
  Platform,
  RevisionLookup,
} from '../../src/platform/index.js';
import type { ServiceSpec } from '../../src/spec/index.js';

export type FakeCall =
  | {
      op: 'apply';
      service: string;
      revision: number;
      replicas: number;
      strategy: DesiredState['strategy'];
      equivalent: number[];
      /** [revision, replicas] of each track of a traffic split. */
      tracks?: [number, number][];
    }
  | { op: 'remove'; service: string; reason: string }
  | { op: 'replace'; service: string; instanceId?: string };

/** An observed instance with defaults for what a row leaves out. */
export function observed(v: Partial<InstanceView> & { id: string; revision: number }): InstanceView {
  return {
    service: 'svc',
    state: 'Running',
    ready: true,
    restarts: 0,
    address: '127.0.0.1:40000',
    startedAt: 1,
    probes: {},
    terminating: false,
    replacing: false,
    ...v,
  };
}

export class FakePlatform implements Platform {
  readonly kind = 'local' as const;
  readonly calls: FakeCall[] = [];
  readonly observed = new Map<string, InstanceView[]>();
  /** Set to make apply throw. */
  applyError: Error | undefined;
  unsupported: string | null = null;

  async start(_lookup: RevisionLookup): Promise<void> {}

  apply(d: DesiredState): void {
    this.calls.push({
      op: 'apply',
      service: d.service,
      revision: d.current.revision,
      replicas: d.replicas,
      strategy: d.strategy,
      equivalent: d.equivalent,
      ...(d.tracks ? { tracks: d.tracks.map((t): [number, number] => [t.revision.revision, t.replicas]) } : {}),
    });
    if (this.applyError) throw this.applyError;
  }

  async remove(service: string, reason: string): Promise<void> {
    this.calls.push({ op: 'remove', service, reason });
    this.observed.delete(service);
  }

  forget(service: string): boolean {
    return (this.observed.get(service)?.length ?? 0) === 0;
  }

  replace(service: string, instanceId?: string): string[] {
    this.calls.push({ op: 'replace', service, ...(instanceId ? { instanceId } : {}) });
    const ids: string[] = [];
    for (const v of this.observed.get(service) ?? []) {
      if (v.terminating || (instanceId !== undefined && v.id !== instanceId)) continue;
      v.replacing = true;
      ids.push(v.id);
    }
    return ids;
  }

  instances(service: string): InstanceView[] {
    return this.observed.get(service) ?? [];
  }

  metrics(service: string): InstanceMetrics[] {
    return this.instances(service).map((v) => ({ id: v.id }));
  }

  endpoints(service: string): EndpointList {
    const endpoints = this.instances(service)
      .filter((v) => v.ready && !v.terminating && v.address)
      .map((v) => {
        const [host, port] = (v.address as string).split(':');
        return { instanceId: v.id, host: host as string, port: Number(port), revision: v.revision };
      });
    return { endpoints, complete: true };
  }

  unsupportedReason(_spec: ServiceSpec): string | null {
    return this.unsupported;
  }

  async logs(_service: string, _query: LogQuery): Promise<string> {
    return '';
  }

  async followLogs(): Promise<void> {}

  async close(): Promise<void> {}
}
