import { describe, expect, it } from 'vitest';
import type { GroupTrafficRequest } from '../api/index.js';
import { PierError } from '../errors.js';
import { trafficPatch } from './groups.js';
import { groupMembership, groupRoutes } from './routes.js';

const members = ['a', 'b'];

function errorsOf(req: GroupTrafficRequest): { path: string; message: string }[] {
  try {
    trafficPatch(req, members);
  } catch (err) {
    if (err instanceof PierError && err.code === 'BAD_REQUEST') return err.errors ?? [];
    throw err;
  }
  return [];
}

describe('trafficPatch', () => {
  const ok: { name: string; req: GroupTrafficRequest; want: unknown }[] = [
    {
      name: 'weights alone make the mode custom',
      req: { weights: { a: 90, b: 10 } },
      want: { mode: 'custom', members: { a: { weight: 90 }, b: { weight: 10 } } },
    },
    {
      name: 'weights with mode auto keep auto',
      req: { mode: 'auto', weights: { a: 1 } },
      want: { mode: 'auto', members: { a: { weight: 1 } } },
    },
    { name: 'mode alone', req: { mode: 'auto' }, want: { mode: 'auto' } },
    { name: "EAS's customized is custom", req: { mode: 'customized' as 'custom' }, want: { mode: 'custom' } },
    {
      name: 'standalone and grouping',
      req: { standalone: { a: true, b: false } },
      want: { members: { a: { standalone: true }, b: { standalone: false } } },
    },
    {
      name: 'weight and standalone of one member merge',
      req: { weights: { a: 0 }, standalone: { a: true } },
      want: { mode: 'custom', members: { a: { weight: 0, standalone: true } } },
    },
    {
      name: 'header affinity, lower-cased',
      req: { affinity: { header: 'X-Session' } },
      want: { affinity: { kind: 'header', key: 'x-session' } },
    },
    {
      name: 'cookie affinity, as written',
      req: { affinity: { cookie: 'SID' } },
      want: { affinity: { kind: 'cookie', key: 'SID' } },
    },
    { name: 'null turns affinity off', req: { affinity: null }, want: { affinity: null } },
    {
      name: 'the bounds 0 and 1000',
      req: { weights: { a: 0, b: 1000 } },
      want: { mode: 'custom', members: { a: { weight: 0 }, b: { weight: 1000 } } },
    },
  ];
  for (const row of ok) it(row.name, () => expect(trafficPatch(row.req, members)).toEqual(row.want));

  const bad: { name: string; req: GroupTrafficRequest; paths: string[] }[] = [
    { name: 'weight over 1000', req: { weights: { a: 1001 } }, paths: ['weights.a'] },
    { name: 'negative weight', req: { weights: { a: -1 } }, paths: ['weights.a'] },
    { name: 'fractional weight', req: { weights: { a: 1.5 } }, paths: ['weights.a'] },
    { name: 'weight not a number', req: { weights: { a: '10' as unknown as number } }, paths: ['weights.a'] },
    {
      name: 'no such member',
      req: { weights: { c: 10 }, standalone: { d: true } },
      paths: ['weights.c', 'standalone.d'],
    },
    { name: 'unknown mode', req: { mode: 'random' as 'auto' }, paths: ['mode'] },
    {
      name: 'standalone not a boolean',
      req: { standalone: { a: 'yes' as unknown as boolean } },
      paths: ['standalone.a'],
    },
    { name: 'affinity header with a space', req: { affinity: { header: 'x session' } }, paths: ['affinity'] },
    { name: 'affinity of neither kind', req: { affinity: {} as { header: string } }, paths: ['affinity'] },
  ];
  for (const row of bad) {
    it(`refuses ${row.name}, naming the path`, () => expect(errorsOf(row.req).map((e) => e.path)).toEqual(row.paths));
  }

  it('says which members there are when a name is no member', () => {
    expect(errorsOf({ weights: { c: 1 } })[0]!.message).toContain('members: a, b');
  });
});

describe('groupMembership and groupRoutes', () => {
  it('groups services by metadata.group, members sorted, defaults for members without stored weights', () => {
    const membership = groupMembership([
      { name: 'z', group: 'g' },
      { name: 'a', group: 'g' },
      { name: 'solo' },
      { name: 'm', group: 'h' },
    ]);
    expect([...membership]).toEqual([
      ['g', ['a', 'z']],
      ['h', ['m']],
    ]);
    const routes = groupRoutes(
      [
        {
          name: 'g',
          token: 't',
          mode: 'custom',
          createdAt: 0,
          members: [{ service: 'z', weight: 7, standalone: true }],
        },
        { name: 'empty', token: 'u', mode: 'auto', createdAt: 0, members: [], affinity: { kind: 'cookie', key: 's' } },
      ],
      membership,
    );
    expect(routes.g!.members).toEqual([
      { service: 'a', weight: 100, standalone: false },
      { service: 'z', weight: 7, standalone: true },
    ]);
    // A group whose members are all being deleted stays, with none (its endpoint answers 503).
    expect(routes.empty).toEqual({
      name: 'empty',
      token: 'u',
      mode: 'auto',
      members: [],
      affinity: { kind: 'cookie', key: 's' },
    });
  });
});
