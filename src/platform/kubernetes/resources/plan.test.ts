import { describe, expect, it } from 'vitest';
import { deepEqual, type ServiceSpec, validateSpec } from '../../../spec/index.js';
import { knownAfter, type MirrorAction, planMirror, type ResourceView, type ServiceView } from './plan.js';

const raw = (name: string, instance = 1) => ({
  name,
  metadata: { instance },
  containers: [{ image: 'registry.example/app:1', port: 8000 }],
});
const normalized = (name: string, instance = 1): ServiceSpec => {
  const { token: _t, ...spec } = validateSpec(raw(name, instance)).spec as ServiceSpec;
  return spec as ServiceSpec;
};

const resource = (over: Partial<ResourceView> & { service: string }): ResourceView => ({
  object: over.service,
  generation: 1,
  deleting: false,
  finalized: true,
  spec: raw(over.service),
  ...over,
});
const service = (name: string, instance = 1, desired = instance): ServiceView => ({
  name,
  spec: normalized(name, instance),
  desired,
  revision: 1,
});

/** The object of a service after the image change of `modified`. */
const rawModified = (name: string) => ({ ...raw(name), containers: [{ image: 'registry.example/app:2', port: 8000 }] });

/** A service whose current revision changed its image since its object was written. */
const modified = (name: string): ServiceView => {
  const spec = normalized(name);
  return {
    name,
    spec: { ...spec, containers: [{ ...spec.containers[0], image: 'registry.example/app:2' }] },
    desired: 1,
    revision: 2,
  } as ServiceView;
};

/** `known` defaults to every service that has an object and a service: a Pier that has run a while. */
function plan(resources: ResourceView[], services: ServiceView[], fresh = false): string[] {
  const known = new Set(fresh ? [] : [...resources.map((r) => r.service), ...services.map((v) => v.name)]);
  return planMirror({ resources, services, known, validate: validateSpec, equal: deepEqual }).map(show);
}
function show(a: MirrorAction): string {
  if (a.kind === 'write-resource') return `${a.kind}:${a.service.name}`;
  if (a.kind === 'status') return `${a.kind}:${a.service}`;
  if (a.kind === 'invalid') return `${a.kind}:${a.resource.object}:${a.errors.map((e) => e.path).join(',')}`;
  return `${a.kind}:${a.resource.object}`;
}

describe('planMirror', () => {
  it.each<[string, ResourceView[], ServiceView[], boolean, string[]]>([
    ['a new object creates its service', [resource({ service: 'a' })], [], true, ['create-service:a', 'status:a']],
    [
      'a new object without the finalizer gets it first',
      [resource({ service: 'a', finalized: false })],
      [],
      true,
      ['finalize:a', 'create-service:a', 'status:a'],
    ],
    ['a service made through Pier gets an object', [], [service('b')], false, ['write-resource:b']],
    [
      'an unchanged object of a running service only refreshes its status',
      [resource({ service: 'a', observedGeneration: 1 })],
      [service('a')],
      false,
      ['status:a'],
    ],
    [
      'an edited object changes the service',
      [resource({ service: 'a', generation: 2, observedGeneration: 1, spec: raw('a', 3) })],
      [service('a')],
      false,
      ['update-service:a', 'status:a'],
    ],
    [
      'an edit that only rewrites the same spec in other words changes nothing',
      [
        resource({
          service: 'a',
          generation: 2,
          observedGeneration: 1,
          spec: { ...raw('a'), metadata: { instance: '1' } },
        }),
      ],
      [service('a')],
      false,
      ['status:a'],
    ],
    [
      'a change made through Pier is written to the unedited object',
      [resource({ service: 'a', observedGeneration: 1, spec: { ...raw('a'), metadata: { instance: 1, cpu: 2 } } })],
      [service('a')],
      false,
      ['write-resource:a', 'status:a'],
    ],
    [
      'scaling through Pier (or the autoscaler) is not written over the object',
      [resource({ service: 'a', observedGeneration: 1 })],
      [service('a', 1, 5)],
      false,
      ['status:a'],
    ],
    [
      'an edit of the count to what Pier already wants changes nothing',
      [resource({ service: 'a', generation: 2, observedGeneration: 1, spec: raw('a', 3) })],
      [service('a', 1, 3)],
      false,
      ['status:a'],
    ],
    [
      'an invalid edit is reported with its path and leaves the service as it is',
      [
        resource({
          service: 'a',
          generation: 2,
          observedGeneration: 1,
          spec: {
            ...raw('a'),
            containers: [
              { image: 'x', port: 8000, liveness_check: { tcp_socket: { port: 8000 }, success_threshold: 2 } },
            ],
          },
        }),
      ],
      [service('a')],
      false,
      ['invalid:a:containers[0].liveness_check.success_threshold'],
    ],
    [
      'a deleted object deletes its service',
      [resource({ service: 'a', deleting: true })],
      [service('a')],
      false,
      ['delete-service:a'],
    ],
    [
      'a deleted object whose service is gone is released',
      [resource({ service: 'a', deleting: true })],
      [],
      false,
      ['release:a'],
    ],
    [
      'a seen object whose service was deleted through Pier is deleted',
      [resource({ service: 'a', observedGeneration: 1 })],
      [],
      false,
      ['delete-resource:a'],
    ],
    [
      'a fresh Pier takes every object as truth: a seen object without a service recreates it',
      [resource({ service: 'a', observedGeneration: 1 })],
      [],
      true,
      ['create-service:a', 'status:a'],
    ],
    [
      'a fresh Pier: an object differing from the store wins',
      [resource({ service: 'a', observedGeneration: 1, spec: raw('a', 2) })],
      [service('a')],
      true,
      ['update-service:a', 'status:a'],
    ],
    [
      'two objects naming one service: the second is refused',
      [resource({ service: 'a', object: 'a' }), resource({ service: 'a', object: 'b' })],
      [],
      true,
      ['create-service:a', 'status:a', 'invalid:b:name'],
    ],
    [
      'an object named by metadata only defines the service of its name',
      [resource({ service: 'c', spec: { metadata: { instance: 1 }, containers: [{ image: 'x', port: 8000 }] } })],
      [],
      true,
      ['create-service:c', 'status:c'],
    ],
  ])('%s', (_why, resources, services, starting, want) => {
    expect(plan(resources, services, starting)).toEqual(want);
  });
});

type Pass = { resources: ResourceView[]; services: ServiceView[]; fails?: string[] };

/**
 * Passes of one new process, one after another, `known` carried from each to the
 * next as the mirror does (knownAfter): every action succeeds but those in `fails`.
 */
/** `stored`: the specs the store keeps, by `<service>@<revision>`. */
function passes(steps: Pass[], stored: Record<string, ServiceSpec> = {}): string[][] {
  let known: ReadonlySet<string> = new Set<string>();
  const storedSpec = (service: string, revision: number) => stored[`${service}@${revision}`];
  return steps.map(({ resources, services, fails = [] }) => {
    const actions = planMirror({ resources, services, known, validate: validateSpec, equal: deepEqual, storedSpec });
    known = knownAfter(
      known,
      { resources, services },
      actions.filter((a) => !fails.includes(show(a))),
    );
    return actions.map(show);
  });
}

describe('planMirror over passes', () => {
  // The object this Pier wrote (generation 1, observed through its own write) is first
  // seen after a modify through Pier: the modify is written to it, not undone by it.
  it('a modify right after a create is written to the object', () => {
    expect(
      passes([
        { resources: [], services: [service('m')] },
        { resources: [resource({ service: 'm', observedGeneration: 1 })], services: [modified('m')] },
      ]),
    ).toEqual([['write-resource:m'], ['write-resource:m', 'status:m']]);
  });

  // The watch then shows the first write (generation 1) while the second made generation 2.
  it('a modify right after a create, the watch still without the object, writes it again', () => {
    expect(
      passes([
        { resources: [], services: [service('m')] },
        { resources: [], services: [modified('m')] },
        { resources: [resource({ service: 'm', generation: 1, observedGeneration: 2 })], services: [modified('m')] },
      ]),
    ).toEqual([['write-resource:m'], ['write-resource:m'], ['write-resource:m', 'status:m']]);
  });

  it('an edit of the object written a moment ago still wins', () => {
    expect(
      passes([
        { resources: [], services: [service('m')] },
        { resources: [resource({ service: 'm', generation: 2, observedGeneration: 1 })], services: [modified('m')] },
      ]),
    ).toEqual([['write-resource:m'], ['update-service:m', 'status:m']]);
  });

  it('a delete right after a create is not undone by the object first seen then', () => {
    expect(
      passes([
        { resources: [], services: [service('d')] },
        { resources: [resource({ service: 'd', observedGeneration: 1 })], services: [] },
      ]),
    ).toEqual([['write-resource:d'], ['delete-resource:d']]);
  });

  // An empty store rebuilt from an object whose status a previous Pier wrote; deleted
  // through Pier before any pass saw service and object together.
  it('a delete right after a rebuild deletes the object, and the service stays deleted', () => {
    const object = resource({ service: 'r', generation: 2, observedGeneration: 2 });
    expect(
      passes([
        { resources: [object], services: [] },
        { resources: [object], services: [] },
        // The watch has not delivered the delete yet.
        { resources: [object], services: [] },
        { resources: [{ ...object, deleting: true }], services: [] },
        { resources: [], services: [] },
        // A new object of that name, applied with kubectl: no status, so an edit.
        { resources: [resource({ service: 'r' })], services: [] },
      ]),
    ).toEqual([
      ['create-service:r', 'status:r'],
      ['delete-resource:r'],
      ['delete-resource:r'],
      ['release:r'],
      [],
      ['create-service:r', 'status:r'],
    ]);
  });

  it('a create from an object that failed is tried again', () => {
    const object = resource({ service: 'f', observedGeneration: 1 });
    expect(
      passes([
        { resources: [object], services: [], fails: ['create-service:f'] },
        { resources: [object], services: [] },
      ]),
    ).toEqual([
      ['create-service:f', 'status:f'],
      ['create-service:f', 'status:f'],
    ]);
  });

  it('a fresh process takes an object it did not write as the truth', () => {
    expect(
      passes([{ resources: [resource({ service: 'm', observedGeneration: 1 })], services: [modified('m')] }]),
    ).toEqual([['update-service:m', 'status:m']]);
  });

  it('a Pier restarted on its store keeps a modify the object does not have yet', () => {
    const written = resource({ service: 'm', observedGeneration: 1, statusRevision: 1 });
    const stored = { 'm@1': normalized('m'), 'm@2': modified('m').spec };
    expect(passes([{ resources: [written], services: [modified('m')] }], stored)).toEqual([
      ['write-resource:m', 'status:m'],
    ]);
  });

  it('and a rollback: the object holds revision 2, the store went back to 1', () => {
    const written = resource({ service: 'm', observedGeneration: 1, statusRevision: 2, spec: rawModified('m') });
    const stored = { 'm@1': normalized('m'), 'm@2': modified('m').spec };
    expect(passes([{ resources: [written], services: [service('m')] }], stored)).toEqual([
      ['write-resource:m', 'status:m'],
    ]);
  });

  it('a store without the revision the object reports (a former leader’s) gives way to the object', () => {
    const newer = resource({ service: 'm', observedGeneration: 1, statusRevision: 3 });
    expect(passes([{ resources: [newer], services: [modified('m')] }], { 'm@2': modified('m').spec })).toEqual([
      ['update-service:m', 'status:m'],
    ]);
  });

  it('a store whose revision of that number holds another spec gives way too', () => {
    const other = resource({ service: 'm', observedGeneration: 1, statusRevision: 1 });
    expect(passes([{ resources: [other], services: [modified('m')] }], { 'm@1': modified('n').spec })).toEqual([
      ['update-service:m', 'status:m'],
    ]);
  });

  it('an edit of the object wins whatever revision its status reports', () => {
    const edited = resource({ service: 'm', generation: 2, observedGeneration: 1, statusRevision: 1 });
    const stored = { 'm@1': normalized('m'), 'm@2': modified('m').spec };
    expect(passes([{ resources: [edited], services: [modified('m')] }], stored)).toEqual([
      ['update-service:m', 'status:m'],
    ]);
  });
});
