import { describe, expect, it } from 'vitest';
import { compare, granted, permission, usageByUser } from './rbac.js';

const sa = 'system:serviceaccount:ns:pier';
const allowed = (role: string) => ({
  'authorization.k8s.io/decision': 'allow',
  'authorization.k8s.io/reason': `RBAC: allowed by RoleBinding "pier/ns" of Role "${role}" to ServiceAccount "pier/ns"`,
});
const line = (o: object) => JSON.stringify({ user: { username: sa }, ...o });

describe('RBAC from an audit log', () => {
  const lines = [
    line({ verb: 'list', objectRef: { apiGroup: 'apps', resource: 'deployments' }, annotations: allowed('pier') }),
    line({
      verb: 'patch',
      objectRef: { resource: 'services' },
      responseStatus: { code: 201 },
      annotations: allowed('pier'),
    }),
    line({
      verb: 'patch',
      objectRef: { apiGroup: 'apps', resource: 'deployments', subresource: 'scale' },
      responseStatus: { code: 200 },
      annotations: allowed('pier'),
    }),
    line({
      verb: 'create',
      objectRef: { apiGroup: 'authorization.k8s.io', resource: 'selfsubjectreviews' },
      annotations: allowed('system:basic-user'),
    }),
    line({
      verb: 'patch',
      objectRef: { apiGroup: 'apiextensions.k8s.io', resource: 'customresourcedefinitions' },
      annotations: { 'authorization.k8s.io/decision': 'forbid' },
    }),
    JSON.stringify({ user: { username: 'someone-else' }, verb: 'get', objectRef: { resource: 'pods' } }),
    line({ verb: 'get' }), // a non-resource URL
    '',
  ];

  it('reads what each account used, with create for an apply that made the object', () => {
    const u = usageByUser(lines, { [sa]: ['pier'] }).get(sa);
    expect([...(u?.used ?? [])].sort()).toEqual([
      '"" services create',
      '"" services patch',
      'apps deployments list',
      'apps deployments/scale patch',
    ]);
    expect([...(u?.forbidden ?? [])]).toEqual(['apiextensions.k8s.io customresourcedefinitions patch']);
  });

  it('finds unused, missing and unexpectedly refused permissions', () => {
    const usage = usageByUser(lines, { [sa]: ['pier'] }).get(sa)!;
    const grants = granted([
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list', 'watch'] },
      { apiGroups: [''], resources: ['services'], verbs: ['create', 'patch', 'delete'] },
    ]);
    expect(
      compare(grants, usage, { unreached: [permission('', 'services', 'delete')], expectedForbidden: [] }),
    ).toEqual({
      unused: ['apps deployments watch'],
      missing: ['apps deployments/scale patch'],
      forbidden: ['apiextensions.k8s.io customresourcedefinitions patch'],
    });
  });
});
