/**
 * The resource mirror: keeps PierService objects and Pier's services the same,
 * both ways (plan.ts decides, this does the calls). `kubectl apply` of an object
 * creates or changes the service; `pier create/modify/delete` write the object;
 * `.status` follows `pier desc`; the token lives in a Secret and every revision in
 * a ControllerRevision, both owned by the object so that they go with it.
 */

import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ServiceDescription } from '../../../api/index.js';
import type { Clock, TimerHandle } from '../../../clock.js';
import { type FieldError, PierError } from '../../../errors.js';
import { deepEqual, type ServiceSpec, validateSpec } from '../../../spec/index.js';
import { apiMessage, type KubeClient, statusCode } from '../client.js';
import { rawRequest } from '../raw.js';
import { ANNOTATIONS, type KubeObject, kubeName, LABELS, serviceLabels } from '../translate/index.js';
import { type WatchedKind, watchKind } from '../watch.js';
import { API_VERSION, FINALIZER, GROUP, KIND, PLURAL, pierServiceCrd, VERSION } from './crd.js';
import type { GroupRecord } from './group-secret.js';
import { GroupSecretWriter } from './group-secrets.js';
import { knownAfter, type MirrorAction, objectSpec, planMirror, type ResourceView, type ServiceView } from './plan.js';

/** What the mirror needs from Pier's control plane (wired in server.ts). */
export interface MirrorControl {
  services(): ServiceView[];
  describe(name: string): ServiceDescription;
  token(name: string): string | undefined;
  revisions(name: string): { number: number; spec: ServiceSpec }[];
  /** `kept`: the revision the object's status names and the older ones, so that the numbers carry on. */
  create(
    spec: ServiceSpec & { token?: string },
    kept?: { revision: number; history: { number: number; spec: ServiceSpec }[] },
  ): Promise<unknown>;
  replace(name: string, spec: ServiceSpec): Promise<unknown>;
  delete(name: string): Promise<void>;
  /** The service groups with their tokens and traffic, for gateways that read the cluster (group-secret.ts). */
  groups?(): GroupRecord[];
}

export interface ResourceMirrorDeps {
  client: KubeClient;
  control: MirrorControl;
  clock: Clock;
  logger: Logger;
}

interface PierServiceObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    generation?: number;
    uid?: string;
    deletionTimestamp?: Date;
    finalizers?: string[];
    annotations?: Record<string, string>;
  };
  spec?: unknown;
  status?: { observedGeneration?: number; revision?: number; [k: string]: unknown };
}

const TICK_MS = 1000;

export class ResourceMirror {
  private watch?: WatchedKind<PierServiceObject>;
  private readonly custom: CustomObjectsApi;
  private tick?: TimerHandle;
  private running = false;
  private again = false;
  private starting = true;
  /** Services had with their object in this process (plan.ts: MirrorSnapshot.known, knownAfter). */
  private known: ReadonlySet<string> = new Set<string>();
  private closed = false;
  /** Written status by object name, to write only changes. */
  private readonly statuses = new Map<string, string>();
  /** ControllerRevisions and token Secrets known to exist. */
  private readonly written = new Set<string>();
  /**
   * The generation of each object this mirror has taken in: the one its own spec write
   * gave it, or the one whose spec it made into the service (create, update, status).
   * The watch lags behind both our spec and our status writes; without this, a change
   * made through Pier meanwhile would be taken for an edit of the object and undone
   * (plan.ts). Kept with the object's uid: a later object of the same name is not ours.
   */
  private readonly taken = new Map<string, Taken>();
  private readonly groupSecrets: GroupSecretWriter;

  constructor(private readonly deps: ResourceMirrorDeps) {
    this.custom = deps.client.config.makeApiClient(CustomObjectsApi);
    this.groupSecrets = new GroupSecretWriter(deps.client, deps.logger);
  }

  /** Installs the CRD (when allowed), starts watching, and makes the first pass, which imports every object. */
  async start(): Promise<void> {
    const { client, clock, logger } = this.deps;
    await this.installCrd();
    const ns = client.namespace;
    this.watch = watchKind<PierServiceObject>({
      kubeconfig: client.config,
      path: `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL}`,
      list: () =>
        this.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL }),
      clock,
      logger,
      changed: () => this.poke(),
    });
    await this.watch.synced;
    await this.pass();
    this.tick = clock.setInterval(() => this.poke(), TICK_MS);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.deps.clock.clearInterval(this.tick);
    await this.watch?.stop();
  }

  private poke(): void {
    if (this.closed || this.starting) return;
    void this.pass();
  }

  private async pass(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        const resources = (this.watch?.list() ?? []).map((o) =>
          resourceView(o, this.taken.get(o.metadata?.name ?? '')),
        );
        const services = this.deps.control.services();
        const actions = planMirror({
          resources,
          services,
          known: this.known,
          validate: validateSpec,
          equal: deepEqual,
          storedSpec: (service, revision) =>
            this.deps.control.revisions(service).find((r) => r.number === revision)?.spec,
        });
        const done: MirrorAction[] = [];
        for (const action of actions) if (await this.carryOut(action)) done.push(action);
        this.known = knownAfter(this.known, { resources, services }, done);
        if (!this.closed) await this.writeGroups(services);
        this.starting = false;
      } while (this.again && !this.closed);
    } finally {
      this.running = false;
    }
  }

  /** The groups' Secrets (group-secrets.ts); a pass still running while Pier closes writes none. */
  private async writeGroups(services: ServiceView[]): Promise<void> {
    let groups: GroupRecord[];
    try {
      groups = this.deps.control.groups?.() ?? [];
    } catch (err) {
      this.deps.logger.warn({ err: apiMessage(err) }, 'could not read the service groups');
      return;
    }
    await this.groupSecrets.sync(groups, services, (name) => this.object(name)?.metadata?.uid);
  }

  /** Whether the action succeeded. */
  private async carryOut(a: MirrorAction): Promise<boolean> {
    try {
      await this.act(a);
      return true;
    } catch (err) {
      // Retried at the next pass; the object's status says what failed when it can.
      this.deps.logger.warn({ action: a.kind, err: apiMessage(err) }, 'resource mirror step failed');
      return false;
    }
  }

  private async act(a: MirrorAction): Promise<void> {
    const { control } = this.deps;
    switch (a.kind) {
      case 'finalize':
        return this.setFinalizers(a.resource, [...this.finalizersOf(a.resource.object), FINALIZER]);
      case 'release':
        return this.setFinalizers(
          a.resource,
          this.finalizersOf(a.resource.object).filter((f) => f !== FINALIZER),
        );
      case 'create-service': {
        const token = await this.readToken(a.resource.service);
        const kept = await this.keptRevisions(a.resource);
        await control.create({ ...a.spec, ...(token ? { token } : {}) }, kept);
        return this.take(a.resource);
      }
      case 'update-service':
        await control.replace(a.resource.service, a.spec);
        return this.take(a.resource);
      case 'delete-service':
        return control.delete(a.resource.service);
      case 'invalid':
        return this.writeInvalid(a.resource, a.errors);
      case 'write-resource':
        return this.writeResource(a.service);
      case 'delete-resource':
        await this.custom.deleteNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: this.deps.client.namespace,
          plural: PLURAL,
          name: a.resource.object,
        });
        return;
      case 'status':
        return this.writeStatus(a.resource, a.service);
    }
  }

  private async installCrd(): Promise<void> {
    try {
      await this.deps.client.apply(pierServiceCrd());
    } catch (err) {
      // Installed beforehand instead, where Pier has no cluster-wide rights.
      if (statusCode(err) !== 403) throw err;
      this.deps.logger.info('no right to install the PierService CRD; expecting it installed');
      return;
    }
    // A new CRD serves its objects once Established; watching before that only fails.
    const crd = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${PLURAL}.${GROUP}`;
    for (let i = 0; i < 60; i++) {
      const got = (await rawRequest(this.deps.client.config, 'GET', crd, undefined)) as {
        status?: { conditions?: { type: string; status: string }[] };
      };
      if (got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
      await this.deps.clock.sleep(250);
    }
    throw new PierError('KUBERNETES_API', `the PierService CRD ${PLURAL}.${GROUP} did not become Established in 15 s`);
  }

  private object(name: string): PierServiceObject | undefined {
    return this.watch?.list().find((o) => o.metadata?.name === name);
  }

  private finalizersOf(name: string): string[] {
    return this.object(name)?.metadata?.finalizers ?? [];
  }

  private patch(name: string, body: object, status = false): Promise<unknown> {
    const param = { group: GROUP, version: VERSION, namespace: this.deps.client.namespace, plural: PLURAL, name, body };
    const opts = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    return status
      ? this.custom.patchNamespacedCustomObjectStatus(param, opts)
      : this.custom.patchNamespacedCustomObject(param, opts);
  }

  private async setFinalizers(r: ResourceView, finalizers: string[]): Promise<void> {
    await this.patch(r.object, { metadata: { finalizers: [...new Set(finalizers)] } });
  }

  /** Pier's service as its object: created when missing, its spec replaced when changed through Pier. */
  private async writeResource(svc: ServiceView): Promise<void> {
    const name = kubeName(svc.name);
    const obj: KubeObject = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: {
        name,
        labels: serviceLabels(svc.name),
        annotations: { [ANNOTATIONS.serviceName]: svc.name },
      },
      spec: objectSpec(svc),
    };
    // Always with the finalizer: an apply that leaves out a field this manager applied
    // before removes it, so a write made once the watch shows the object would take off
    // the finalizer the first write set, and a kubectl delete meanwhile would skip Pier.
    (obj.metadata as { finalizers?: string[] }).finalizers = [FINALIZER];
    const written = await this.deps.client.apply(obj);
    // Our own write: its generation is not an edit to apply back, even before our status says so.
    const { generation, uid } = written.metadata as { generation?: number; uid?: string };
    if (typeof generation === 'number' && uid) this.taken.set(name, { uid, generation });
  }

  /** The object's generation is in the service now, though its status may not say so yet. */
  private take(r: ResourceView): void {
    const uid = r.uid;
    const before = this.taken.get(r.object);
    if (!uid || (before?.uid === uid && before.generation >= r.generation)) return;
    this.taken.set(r.object, { uid, generation: r.generation });
  }

  private async writeInvalid(r: ResourceView, errors: FieldError[]): Promise<void> {
    const message = errors
      .slice(0, 10)
      .map((e) => `${e.path}: ${e.message}`)
      .join('; ');
    await this.writeStatusBody(r.object, {
      service: r.service,
      conditions: [
        condition('Ready', 'False', 'SpecInvalid', message, r.generation),
        condition('SpecValid', 'False', 'SpecInvalid', message, r.generation),
      ],
    });
  }

  private async writeStatus(r: ResourceView, service: string): Promise<void> {
    let d: ServiceDescription;
    try {
      d = this.deps.control.describe(service);
    } catch {
      return; // created a moment ago and already gone, or not yet there
    }
    const obj = this.object(r.object);
    if (obj?.metadata?.uid) await this.writeOwned(service, obj.metadata.uid, r.object);
    const ready = d.status === 'Running';
    await this.writeStatusBody(r.object, {
      observedGeneration: r.generation,
      service,
      status: d.status,
      ...(d.reason ? { reason: d.reason } : {}),
      ...(d.message ? { message: d.message } : {}),
      revision: d.revision,
      desired: d.desired,
      ready: `${d.instances.ready}/${d.desired}`,
      instances: d.instances,
      endpoint: d.endpoint,
      tokenSecret: tokenSecretName(service),
      conditions: [
        condition('Ready', ready ? 'True' : 'False', d.status, d.reason ?? d.message ?? '', r.generation),
        condition('SpecValid', 'True', 'Valid', '', r.generation),
      ],
    });
    this.take(r);
  }

  private async writeStatusBody(name: string, status: Record<string, unknown>): Promise<void> {
    const json = JSON.stringify(status);
    if (this.statuses.get(name) === json) return;
    const now = new Date(this.deps.clock.now()).toISOString();
    const previous = (this.object(name)?.status?.conditions ?? []) as {
      type: string;
      status: string;
      lastTransitionTime?: string;
    }[];
    const conditions = (status.conditions as { type: string; status: string }[]).map((c) => {
      const before = previous.find((p) => p.type === c.type);
      return { ...c, lastTransitionTime: before?.status === c.status ? (before.lastTransitionTime ?? now) : now };
    });
    await this.patch(name, { status: { ...status, conditions } }, true);
    this.statuses.set(name, json);
  }

  /** The token Secret and one ControllerRevision per revision, each owned by the object. */
  private async writeOwned(service: string, uid: string, object: string): Promise<void> {
    const owner = [
      { apiVersion: API_VERSION, kind: KIND, name: object, uid, controller: true, blockOwnerDeletion: true },
    ];
    const labels = serviceLabels(service);
    const secret = tokenSecretName(service);
    const token = this.deps.control.token(service);
    if (token && !this.written.has(`secret/${secret}/${token}`)) {
      await this.deps.client.apply({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: secret, labels, ownerReferences: owner },
        type: 'Opaque',
        data: { token: Buffer.from(token).toString('base64') },
      });
      this.written.add(`secret/${secret}/${token}`);
    }
    for (const rev of this.deps.control.revisions(service)) {
      const name = `${kubeName(service)}-${rev.number}`;
      if (this.written.has(`revision/${name}`)) continue;
      try {
        await this.deps.client.apps.createNamespacedControllerRevision({
          namespace: this.deps.client.namespace,
          body: {
            metadata: { name, labels, ownerReferences: owner, annotations: { [ANNOTATIONS.serviceName]: service } },
            revision: rev.number,
            data: rev.spec,
          },
        });
      } catch (err) {
        if (statusCode(err) !== 409) throw err; // revisions are immutable: one made earlier stays
      }
      this.written.add(`revision/${name}`);
    }
  }

  /** The revision an object's status names, with its older ControllerRevisions; none for a new object. */
  private async keptRevisions(
    r: ResourceView,
  ): Promise<{ revision: number; history: { number: number; spec: ServiceSpec }[] } | undefined> {
    const revision = this.object(r.object)?.status?.revision;
    if (typeof revision !== 'number' || revision < 1) return undefined;
    const list = await this.deps.client.apps.listNamespacedControllerRevision({
      namespace: this.deps.client.namespace,
      labelSelector: `${LABELS.service}=${kubeName(r.service)}`,
    });
    const history = list.items
      .filter((cr) => cr.metadata?.annotations?.[ANNOTATIONS.serviceName] === r.service && cr.revision < revision)
      .map((cr) => ({ number: cr.revision, spec: cr.data as ServiceSpec }));
    for (const h of history) this.written.add(`revision/${kubeName(r.service)}-${h.number}`);
    return { revision, history };
  }

  private async readToken(service: string): Promise<string | undefined> {
    try {
      const s = await this.deps.client.core.readNamespacedSecret({
        name: tokenSecretName(service),
        namespace: this.deps.client.namespace,
      });
      const data = s.data?.token;
      return data ? Buffer.from(data, 'base64').toString('utf8') : undefined;
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw err;
    }
  }
}

export function tokenSecretName(service: string): string {
  return `${kubeName(service)}-token`;
}

function condition(type: string, status: 'True' | 'False', reason: string, message: string, generation: number) {
  return {
    type,
    status,
    reason: reason.replace(/[^A-Za-z0-9_,:]/g, '') || 'Unknown',
    message,
    observedGeneration: generation,
  };
}

/** A generation of an object this mirror has taken in. */
interface Taken {
  uid: string;
  generation: number;
}

function resourceView(o: PierServiceObject, taken: Taken | undefined): ResourceView {
  const spec = o.spec;
  const named = spec as { name?: unknown; metadata?: { name?: unknown } } | null | undefined;
  const given = typeof named === 'object' && named !== null ? (named.name ?? named.metadata?.name) : undefined;
  const specName = typeof given === 'string' ? given : undefined;
  const name = o.metadata?.name ?? '';
  return {
    object: name,
    ...(o.metadata?.uid ? { uid: o.metadata.uid } : {}),
    service: specName ?? o.metadata?.annotations?.[ANNOTATIONS.serviceName] ?? name,
    generation: o.metadata?.generation ?? 0,
    ...(typeof o.status?.revision === 'number' ? { statusRevision: o.status.revision } : {}),
    ...observed(o.status?.observedGeneration, taken?.uid === o.metadata?.uid ? taken?.generation : undefined),
    deleting: o.metadata?.deletionTimestamp !== undefined,
    finalized: (o.metadata?.finalizers ?? []).includes(FINALIZER),
    spec,
  };
}

/** What this Pier has taken in of an object: what its status says, or later, what this mirror took. */
function observed(status: number | undefined, taken: number | undefined): { observedGeneration?: number } {
  const n = Math.max(status ?? -1, taken ?? -1);
  return n >= 0 ? { observedGeneration: n } : {};
}
