/**
 * What the resource mirror does next, as a pure function of what it sees: the
 * PierService objects and Pier's services. The objects are the source of truth;
 * a change made through Pier's API (create, modify, delete) is written back to
 * them. Whose change it was is told by generations, as controllers do: an object
 * whose generation is past its status.observedGeneration was edited (kubectl,
 * GitOps), any other difference was made through Pier.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#generation
 */

import type { FieldError } from '../../../errors.js';
import type { ServiceSpec, ValidationResult } from '../../../spec/index.js';

export interface ResourceView {
  /** metadata.name */
  object: string;
  /** metadata.uid: tells an object from a later one of the same name. */
  uid?: string;
  /** The EAS service name it defines: spec.name, else the pier.dev/service-name annotation, else metadata.name. */
  service: string;
  generation: number;
  observedGeneration?: number;
  /** The revision the object's status last reported (the Pier that wrote it had that one current). */
  statusRevision?: number;
  deleting: boolean;
  finalized: boolean;
  spec: unknown;
}

export interface ServiceView {
  name: string;
  /** The current revision's spec as Pier normalized it, without the token. */
  spec: ServiceSpec;
  /**
   * The instance count Pier wants now. `pier scale`, an instance-only modify and
   * the autoscaler change it without a new revision, so the spec's
   * metadata.instance may lag; objects carry this count instead.
   */
  desired: number;
  /** The current revision's number (numbers carry over between Piers: revisions are imported with them). */
  revision: number;
}

export interface MirrorSnapshot {
  resources: ResourceView[];
  services: ServiceView[];
  /**
   * Services this Pier has had together with their object (knownAfter). Only these
   * can have been deleted or changed through Pier since; any other object (a new
   * replica, an empty store) is the truth: a missing service is made from it, a
   * differing one takes its spec.
   */
  known: ReadonlySet<string>;
  validate(spec: unknown): ValidationResult;
  equal(a: unknown, b: unknown): boolean;
  /** The spec this store keeps for a service's revision (any, not only the current one). */
  storedSpec?(service: string, revision: number): ServiceSpec | undefined;
}

export type MirrorAction =
  | { kind: 'finalize'; resource: ResourceView }
  | { kind: 'create-service'; resource: ResourceView; spec: ServiceSpec }
  | { kind: 'update-service'; resource: ResourceView; spec: ServiceSpec }
  | { kind: 'invalid'; resource: ResourceView; errors: FieldError[] }
  | { kind: 'delete-service'; resource: ResourceView }
  | { kind: 'release'; resource: ResourceView }
  | { kind: 'write-resource'; service: ServiceView; resource?: ResourceView }
  | { kind: 'delete-resource'; resource: ResourceView }
  | { kind: 'status'; resource: ResourceView; service: string };

export function planMirror(s: MirrorSnapshot): MirrorAction[] {
  const actions: MirrorAction[] = [];
  const services = new Map(s.services.map((v) => [v.name, v]));
  const claimed = new Map<string, ResourceView>();
  for (const r of [...s.resources].sort((a, b) => a.object.localeCompare(b.object))) {
    const owner = claimed.get(r.service);
    if (owner && !r.deleting) {
      const message = `service "${r.service}" is already defined by PierService ${owner.object}`;
      actions.push({ kind: 'invalid', resource: r, errors: [{ path: 'name', message }] });
      continue;
    }
    claimed.set(r.service, r);
    actions.push(...planResource(s, r, services.get(r.service)));
  }
  for (const svc of s.services) {
    if (!claimed.has(svc.name)) actions.push({ kind: 'write-resource', service: svc });
  }
  return actions;
}

function planResource(s: MirrorSnapshot, r: ResourceView, svc: ServiceView | undefined): MirrorAction[] {
  if (r.deleting) return svc ? [{ kind: 'delete-service', resource: r }] : [{ kind: 'release', resource: r }];
  const out: MirrorAction[] = r.finalized ? [] : [{ kind: 'finalize', resource: r }];
  const known = s.known.has(r.service);
  const edited = r.generation > (r.observedGeneration ?? 0);
  if (!svc) {
    // Seen with its service and gone from Pier: deleted through Pier's API.
    if (known && !edited) return [{ kind: 'delete-resource', resource: r }];
    const checked = checkedSpec(s, r);
    if ('errors' in checked) return [...out, { kind: 'invalid', resource: r, errors: checked.errors }];
    return [
      ...out,
      { kind: 'create-service', resource: r, spec: checked.spec },
      { kind: 'status', resource: r, service: r.service },
    ];
  }
  if (edited || (!known && !movedHere(s, r, svc))) {
    const checked = checkedSpec(s, r);
    if ('errors' in checked) return [...out, { kind: 'invalid', resource: r, errors: checked.errors }];
    if (!s.equal(checked.spec, objectSpec(svc))) out.push({ kind: 'update-service', resource: r, spec: checked.spec });
  } else {
    // Unedited: only a change made through Pier's API can differ. The count is not one:
    // scaling is reported in status.desired, never written over the object's spec.
    const theirs = s.validate(withName(r.spec, r.service));
    if (!theirs.spec || !s.equal(withInstance(withoutToken(theirs.spec), 0), withInstance(svc.spec, 0))) {
      out.push({ kind: 'write-resource', service: svc, resource: r });
    }
  }
  out.push({ kind: 'status', resource: r, service: r.service });
  return out;
}

/**
 * `known` after a pass whose actions in `done` succeeded. A service is known from
 * the moment this Pier has it with its object: seen together, or one made from the
 * other here (write-resource, create-service), before the watch shows the object
 * or the pass's snapshot the service. Waiting for the watch instead left a window
 * in which a modify right after a create was undone by the object just written,
 * and a delete right after a rebuild made the service again. Only an object seen
 * deleting forgets it: an object missing from the watch may just not be delivered
 * yet, and a later object of that name without a status is an edit (a new one) anyway.
 */
export function knownAfter(
  known: ReadonlySet<string>,
  s: Pick<MirrorSnapshot, 'resources' | 'services'>,
  done: readonly MirrorAction[],
): Set<string> {
  const next = new Set(known);
  const services = new Set(s.services.map((v) => v.name));
  for (const r of s.resources) {
    if (r.deleting) next.delete(r.service);
    else if (services.has(r.service)) next.add(r.service);
  }
  for (const a of done) {
    if (a.kind === 'write-resource') next.add(a.service.name);
    if (a.kind === 'create-service') next.add(a.resource.service);
  }
  return next;
}

/**
 * First sight of an unedited object whose service this store already has (a Pier
 * restarted on its store): the object wins, unless it holds exactly what this
 * store keeps for the revision its status reports while this store's current
 * revision is another. Then the store moved after the object was last written (a
 * modify, or a rollback, acknowledged just before a kill -9) and the object would
 * undo it. A store that never had that revision (a former leader's) gives way.
 */
function movedHere(s: MirrorSnapshot, r: ResourceView, svc: ServiceView): boolean {
  if (r.statusRevision === undefined || r.statusRevision === svc.revision) return false;
  const stored = s.storedSpec?.(r.service, r.statusRevision);
  const theirs = s.validate(withName(r.spec, r.service)).spec;
  if (!stored || !theirs) return false;
  return s.equal(withInstance(withoutToken(theirs), 0), withInstance(withoutToken(stored), 0));
}

/** The spec an object holds for a service: its current revision's, with the count Pier wants. */
export function objectSpec(svc: ServiceView): ServiceSpec {
  return withInstance(svc.spec, svc.desired);
}

function withInstance(spec: ServiceSpec, instance: number): ServiceSpec {
  return { ...spec, metadata: { ...spec.metadata, instance } };
}

function checkedSpec(s: MirrorSnapshot, r: ResourceView): { spec: ServiceSpec } | { errors: FieldError[] } {
  const result = s.validate(withName(r.spec, r.service));
  if (!result.ok || !result.spec) return { errors: result.errors };
  return { spec: withoutToken(result.spec) };
}

/** The spec with its name: an object may leave `name` out and be named by metadata. */
function withName(spec: unknown, name: string): unknown {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return spec;
  const md = (spec as { metadata?: unknown }).metadata;
  const named = 'name' in spec || (typeof md === 'object' && md !== null && 'name' in md);
  return named ? spec : { name, ...spec };
}

/** Tokens live in Secrets, never in the object. */
function withoutToken(spec: ServiceSpec): ServiceSpec {
  const { token: _token, ...rest } = spec;
  return rest as ServiceSpec;
}
