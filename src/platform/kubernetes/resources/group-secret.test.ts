import { describe, expect, it } from 'vitest';
import { type GroupRecord, groupFromSecret, groupSecretName, makeGroupSecret } from './group-secret.js';

const group: GroupRecord = {
  name: 'llm',
  token: 'group-token-1',
  mode: 'custom',
  affinity: { kind: 'header', key: 'x-session' },
  createdAt: 5,
  members: [
    { service: 'llm_v2', weight: 200, standalone: false },
    { service: 'llm_v1', weight: 800, standalone: true },
  ],
};
const owners = [
  { object: 'llm-v2', uid: 'u2' },
  { object: 'llm-v1', uid: 'u1' },
];
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('makeGroupSecret', () => {
  it('holds the token and traffic, labelled, owned by every member object', () => {
    const s = makeGroupSecret(group, owners) as {
      metadata: { name: string; labels: Record<string, string>; ownerReferences: { name: string; uid: string }[] };
    };
    expect(s.metadata.name).toBe(groupSecretName('llm'));
    expect(s.metadata.labels['pier.dev/group']).toBe('llm');
    expect(s.metadata.ownerReferences.map((o) => o.name)).toEqual(['llm-v1', 'llm-v2']);
    expect(s.metadata.ownerReferences.every((o) => !('controller' in o))).toBe(true);
  });

  it('is nothing while no member has an object', () => {
    expect(makeGroupSecret(group, [])).toBeUndefined();
  });

  it('reads back as the same group (createdAt aside)', () => {
    const back = groupFromSecret(makeGroupSecret(group, owners) as never);
    expect(back).toEqual({
      ...group,
      createdAt: 0,
      members: [...group.members].sort((a, b) => a.service.localeCompare(b.service)),
    });
  });
});

describe('groupFromSecret', () => {
  const meta = { annotations: { 'pier.dev/group-name': 'g' } };
  const traffic = (t: unknown) => b64(JSON.stringify(t));
  const cases: { name: string; secret: unknown; want: Partial<GroupRecord> | undefined }[] = [
    {
      name: 'no annotation',
      secret: { data: { token: b64('t'), traffic: traffic({ mode: 'auto', members: [] }) } },
      want: undefined,
    },
    {
      name: 'no token',
      secret: { metadata: meta, data: { traffic: traffic({ mode: 'auto', members: [] }) } },
      want: undefined,
    },
    {
      name: 'traffic not JSON',
      secret: { metadata: meta, data: { token: b64('t'), traffic: b64('{') } },
      want: undefined,
    },
    {
      name: 'unknown mode',
      secret: { metadata: meta, data: { token: b64('t'), traffic: traffic({ mode: 'x', members: [] }) } },
      want: undefined,
    },
    {
      name: 'a malformed member is left out, a bad affinity dropped',
      secret: {
        metadata: meta,
        data: {
          token: b64('t'),
          traffic: traffic({
            mode: 'custom',
            affinity: { kind: 'query', key: 'k' },
            members: [
              { service: 'a', weight: 1001, standalone: false },
              { service: 'b', weight: 7, standalone: false },
            ],
          }),
        },
      },
      want: {
        name: 'g',
        token: 't',
        mode: 'custom',
        createdAt: 0,
        members: [{ service: 'b', weight: 7, standalone: false }],
      },
    },
    {
      name: 'being deleted',
      secret: {
        metadata: { ...meta, deletionTimestamp: new Date() },
        data: { token: b64('t'), traffic: traffic({ mode: 'auto', members: [] }) },
      },
      want: undefined,
    },
  ];
  for (const c of cases) it(c.name, () => expect(groupFromSecret(c.secret as never)).toEqual(c.want));
});
