/**
 * What a gateway needs, read from the cluster itself (`pier gateway --kubernetes`):
 * each PierService's spec, its token Secret, and the ready endpoints of its
 * EndpointSlices. Such a gateway keeps routing and checking tokens while no
 * control plane runs, as kube-proxy keeps serving Services while the controllers
 * are down; a new pod or a deleted one is followed from the EndpointSlices alone.
 */

import {
  CustomObjectsApi,
  type V1Deployment,
  type V1EndpointSlice,
  type V1Pod,
  type V1Secret,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Endpoint, EndpointSnapshot, GroupRoute, ServiceRoute } from '../../gateway/index.js';
import { type ServiceSpec, validateSpec } from '../../spec/index.js';
import type { KubeClient } from './client.js';
import { podRevision, sliceEndpoints } from './observe.js';
import { GROUP, PLURAL, VERSION } from './resources/crd.js';
import { GROUP_LABEL, type GroupRecord, groupFromSecret } from './resources/group-secret.js';
import { tokenSecretName } from './resources/mirror.js';
import { ANNOTATIONS, kubeName, LABELS } from './translate/index.js';
import { type WatchedKind, watchKind } from './watch.js';

/** The route of one service: the controller's own function (src/controller/routes.ts), injected. */
export type RouteOf = (
  svc: { name: string; token: string; stopped: boolean; deleting: boolean; desiredInstances: number },
  spec: ServiceSpec,
  endpoints: Endpoint[],
) => ServiceRoute;

/** The routes of the groups: the controller's own builder (routes.ts groupRoutes over groupMembership), injected. */
export type GroupsOf = (
  groups: GroupRecord[],
  members: { name: string; group?: string | undefined }[],
) => Record<string, GroupRoute>;

export interface KubernetesEndpointSourceOptions {
  client: KubeClient;
  clock: Clock;
  logger: Logger;
  route: RouteOf;
  /** Without it, no group is routed. */
  groups?: GroupsOf;
  /** Called with each new snapshot. */
  publish(snapshot: EndpointSnapshot): void;
}

interface PierServiceObject {
  metadata?: { name?: string; annotations?: Record<string, string>; deletionTimestamp?: Date };
  spec?: unknown;
  status?: { desired?: number };
}

export class KubernetesEndpointSource {
  private readonly watches: WatchedKind<never>[] = [];
  private objects?: WatchedKind<PierServiceObject>;
  private secrets?: WatchedKind<V1Secret>;
  /** The groups' Secrets (resources/group-secret.ts): token and traffic settings. */
  private groupSecrets?: WatchedKind<V1Secret>;
  private slices?: WatchedKind<V1EndpointSlice>;
  private pods?: WatchedKind<V1Pod>;
  private deployments?: WatchedKind<V1Deployment>;
  private version = 0;
  private lastJson = '';
  private scheduled = false;

  constructor(private readonly o: KubernetesEndpointSourceOptions) {}

  async start(): Promise<void> {
    const { client, clock, logger } = this.o;
    const ns = client.namespace;
    const custom = client.config.makeApiClient(CustomObjectsApi);
    const common = { kubeconfig: client.config, clock, logger, changed: () => this.schedule() };
    const selector = LABELS.service;
    this.objects = watchKind<PierServiceObject>({
      ...common,
      path: `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL}`,
      list: () => custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL }),
    });
    this.secrets = watchKind<V1Secret>({
      ...common,
      path: `/api/v1/namespaces/${ns}/secrets`,
      list: () => client.core.listNamespacedSecret({ namespace: ns, labelSelector: selector }),
      labelSelector: selector,
    });
    this.groupSecrets = watchKind<V1Secret>({
      ...common,
      path: `/api/v1/namespaces/${ns}/secrets`,
      list: () => client.core.listNamespacedSecret({ namespace: ns, labelSelector: GROUP_LABEL }),
      labelSelector: GROUP_LABEL,
    });
    this.slices = watchKind<V1EndpointSlice>({
      ...common,
      path: `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
      list: () => client.discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: selector }),
      labelSelector: selector,
    });
    this.pods = watchKind<V1Pod>({
      ...common,
      path: `/api/v1/namespaces/${ns}/pods`,
      list: () => client.core.listNamespacedPod({ namespace: ns, labelSelector: selector }),
      labelSelector: selector,
    });
    this.deployments = watchKind<V1Deployment>({
      ...common,
      path: `/apis/apps/v1/namespaces/${ns}/deployments`,
      list: () => client.apps.listNamespacedDeployment({ namespace: ns, labelSelector: selector }),
      labelSelector: selector,
    });
    const all = [this.objects, this.secrets, this.groupSecrets, this.slices, this.pods, this.deployments];
    this.watches.push(...(all as WatchedKind<never>[]));
    await Promise.all(all.map((w) => w.synced));
    this.publishNow();
  }

  async stop(): Promise<void> {
    await Promise.all(this.watches.map((w) => w.stop()));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.publishNow();
    });
  }

  private publishNow(): void {
    const services: Record<string, ServiceRoute> = {};
    const members: { name: string; group?: string | undefined }[] = [];
    const tokens = new Map(
      (this.secrets?.list() ?? []).map((s) => [s.metadata?.name ?? '', s.data?.token ? decode(s.data.token) : '']),
    );
    for (const o of this.objects?.list() ?? []) {
      if (o.metadata?.deletionTimestamp) continue;
      const checked = validateSpec(o.spec);
      if (!checked.ok || !checked.spec) continue; // an invalid object runs nothing new: its service keeps the last route
      const name = o.metadata?.annotations?.[ANNOTATIONS.serviceName] ?? checked.spec.name;
      const token = tokens.get(tokenSecretName(name));
      if (!token) continue; // no route without its token: nothing is let in unchecked
      const desired = o.status?.desired ?? checked.spec.metadata.instance;
      services[name] = this.o.route(
        { name, token, stopped: false, deleting: false, desiredInstances: desired },
        checked.spec,
        this.endpointsOf(name),
      );
      members.push({ name, group: checked.spec.metadata.group });
    }
    const groups = this.groupsOf(members);
    // While a watch re-lists, the last snapshot stands (a partial one would drop routes).
    const complete = [this.objects, this.secrets, this.groupSecrets, this.slices, this.pods].every((w) => w?.healthy());
    if (!complete && this.version > 0) return;
    const hasGroups = Object.keys(groups).length > 0;
    const json = JSON.stringify({ services, groups });
    if (json === this.lastJson) return;
    this.lastJson = json;
    this.version++;
    this.o.publish({ version: this.version, services, ...(hasGroups ? { groups } : {}) });
  }

  /**
   * The groups some routed service names, with the token and traffic of their Secret;
   * a group is routed only once its Secret exists (nothing is let in unchecked).
   */
  private groupsOf(members: { name: string; group?: string | undefined }[]): Record<string, GroupRoute> {
    if (!this.o.groups) return {};
    const named = new Set(members.flatMap((m) => (m.group === undefined ? [] : [m.group])));
    const records = (this.groupSecrets?.list() ?? [])
      .map((s) => groupFromSecret(s))
      .filter((g): g is GroupRecord => g !== undefined && named.has(g.name));
    return this.o.groups(records, members);
  }

  private endpointsOf(service: string): Endpoint[] {
    const name = kubeName(service);
    const deployment = this.deployments?.list().find((d) => d.metadata?.name === name);
    const pods = new Map(
      (this.pods?.list() ?? [])
        .filter((p) => p.metadata?.labels?.[LABELS.service] === name)
        .map((p) => [p.metadata?.name ?? '', p]),
    );
    const slices = (this.slices?.list() ?? []).filter(
      (s) => s.metadata?.labels?.['kubernetes.io/service-name'] === name,
    );
    return sliceEndpoints(slices, (pod) => {
      const p = pods.get(pod);
      return p ? podRevision(p, deployment) : undefined;
    });
  }
}

function decode(b64: string): string {
  return Buffer.from(b64, 'base64').toString('utf8');
}
