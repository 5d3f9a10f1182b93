/**
 * The control plane's revision traffic verbs (Knative-style traffic targets,
 * https://knative.dev/docs/serving/traffic-management/): a canary on modify,
 * `pier traffic NAME 2=50 3=50` and `pier promote NAME 3`. The rules are pure
 * (traffic.ts); this writes the store and leaves the instances to the reconciler.
 */

import type { RevisionTrafficView } from '../api/index.js';
import { PierError, TRAFFIC_SPLIT_UNSUPPORTED } from '../errors.js';
import type { Platform, InstanceView } from '../platform/index.js';
import type { Store, TrafficTarget } from '../store/index.js';
import type { Reconciler } from './reconciler.js';
import { addCanary, checkTraffic } from './traffic.js';

export interface TrafficControlDeps {
  store: Store;
  reconciler: Reconciler;
  platform: Platform;
  /** After a change of which revision a service runs: groups follow, gateways hear at once. */
  revisionChanged(): void;
}

export class TrafficControl {
  constructor(private readonly deps: TrafficControlDeps) {}

  /** Throws TRAFFIC_UNSUPPORTED where the platform cannot run two revisions of a service. */
  checkSupported(): void {
    if (this.deps.platform.kind !== 'local') throw new PierError('TRAFFIC_UNSUPPORTED', TRAFFIC_SPLIT_UNSUPPORTED);
  }

  /** The service's split as `desc` shows it: the current revision alone at 100% without one. */
  view(name: string, current: number, instances: readonly InstanceView[]): RevisionTrafficView[] {
    const split = this.deps.store.traffic.get(name);
    const targets = split.length > 0 ? split : [{ revision: current, percent: 100 }];
    return targets.map((t) => ({
      ...t,
      readyInstances: instances.filter((i) => i.revision === t.revision && i.ready && !i.terminating).length,
    }));
  }

  /** A new revision `revision` takes `percent`; the revisions serving now share the rest. */
  canary(name: string, current: number, revision: number, percent: number): TrafficTarget[] {
    const split = addCanary(this.deps.store.traffic.get(name), current, revision, percent);
    this.write(name, split, current);
    this.deps.reconciler.event(
      name,
      'Normal',
      'TrafficSplit',
      `revision ${revision} starts next to the revisions serving and takes ${percent}% of the traffic (${describe(split)}); promote it with "pier promote ${name} ${revision}"`,
      revision,
    );
    return split;
  }

  /** A rolling update or rollback to `revision`: any split ends, the revision takes everything. */
  clear(name: string, revision: number): void {
    if (this.deps.store.traffic.get(name).length === 0) return;
    this.deps.store.traffic.set(name, []);
    this.deps.reconciler.event(
      name,
      'Normal',
      'TrafficSplit',
      `the traffic split ends: revision ${revision} takes 100%`,
      revision,
    );
  }

  set(name: string, input: Record<string, unknown>): void {
    const { store, reconciler } = this.deps;
    const svc = store.requireService(name);
    const split = checkTraffic(input, new Set(store.listRevisions(name).map((r) => r.number)));
    this.checkSupported();
    this.write(name, split, svc.revision);
    reconciler.event(name, 'Normal', 'TrafficSplit', `traffic: ${describe(split)}`, svc.revision);
    reconciler.enqueue(name);
    reconciler.publishSnapshot();
  }

  /**
   * 100% to `revision`, now the current one; the split ends and the rolling path
   * drains every other revision's instances once it has its instances available.
   */
  promote(name: string, revision: number): void {
    const { store, reconciler } = this.deps;
    const svc = store.requireService(name);
    store.requireRevision(name, revision);
    store.traffic.set(name, []);
    if (svc.revision !== revision) store.updateService(name, { revision });
    reconciler.event(
      name,
      'Normal',
      'Promoted',
      `revision ${revision} takes 100% of the traffic and is the current revision (was ${svc.revision}); the other revisions' instances drain`,
      revision,
    );
    this.deps.revisionChanged();
    reconciler.enqueue(name);
  }

  /** The current revision alone at 100% is no split. */
  private write(name: string, split: readonly TrafficTarget[], current: number): void {
    const plain = split.length === 1 && split[0]!.revision === current;
    this.deps.store.traffic.set(name, plain ? [] : split);
  }
}

function describe(split: readonly TrafficTarget[]): string {
  return split.map((t) => `revision ${t.revision} ${t.percent}%`).join(', ');
}
