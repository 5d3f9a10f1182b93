import { describe, expect, it } from 'vitest';
import type { GroupRoute, ServiceRoute } from '../types.js';
import { resolveGroupTarget } from './target.js';

function route(name: string, ready: number, over: Partial<ServiceRoute> = {}): ServiceRoute {
  return {
    name,
    token: `t-${name}`,
    endpoints: Array.from({ length: ready }, (_, i) => ({
      instanceId: `${name}-${i}`,
      host: '127.0.0.1',
      port: 1,
      revision: 1,
    })),
    stopped: false,
    rpc: { keepalive: 0, worker_threads: 5, max_queue_size: 64 },
    enableGrpc: false,
    enableWebservice: false,
    ...over,
  };
}

const group = (mode: GroupRoute['mode'], weights: Record<string, number>): GroupRoute => ({
  name: 'g',
  token: 'gt',
  mode,
  members: Object.entries(weights).map(([service, weight]) => ({ service, weight, standalone: false })),
});

const target = (g: GroupRoute, services: Record<string, ServiceRoute>, headers = {}, member?: string, r = 0.5) => {
  const t = resolveGroupTarget(g, services, member, headers, () => r);
  return t.kind === 'member' ? `${t.svc.name}${t.pinned ? ' (pinned)' : ''}${t.key ? ` key=${t.key}` : ''}` : t.kind;
};

describe('resolveGroupTarget', () => {
  const ready = { a: route('a', 1), b: route('b', 1) };
  const table: { name: string; got: () => string; want: string }[] = [
    {
      name: 'by weight (low draw)',
      got: () => target(group('custom', { a: 80, b: 20 }), ready, {}, undefined, 0.1),
      want: 'a',
    },
    {
      name: 'by weight (high draw)',
      got: () => target(group('custom', { a: 80, b: 20 }), ready, {}, undefined, 0.9),
      want: 'b',
    },
    { name: 'path pin', got: () => target(group('custom', { a: 1000, b: 0 }), ready, {}, 'b'), want: 'b (pinned)' },
    {
      name: 'header pin',
      got: () => target(group('custom', { a: 1000, b: 0 }), ready, { 'x-pier-service': 'b' }),
      want: 'b (pinned)',
    },
    {
      name: 'the path wins over the header',
      got: () => target(group('auto', { a: 1, b: 1 }), ready, { 'x-pier-service': 'b' }, 'a'),
      want: 'a (pinned)',
    },
    { name: 'pin of a non-member', got: () => target(group('auto', { a: 1 }), ready, {}, 'b'), want: 'not-member' },
    {
      name: 'no member ready',
      got: () => target(group('custom', { a: 1, b: 1 }), { a: route('a', 0), b: route('b', 0) }),
      want: 'unavailable',
    },
    {
      name: 'no member ready, one scales from zero: it wakes',
      got: () => target(group('custom', { a: 10, b: 10 }), { a: route('a', 0), b: route('b', 0, { activate: true }) }),
      want: 'b',
    },
    {
      name: 'a ready member is preferred to waking another',
      got: () =>
        target(
          group('custom', { a: 1, b: 1000 }),
          { a: route('a', 1), b: route('b', 0, { activate: true }) },
          {},
          undefined,
          0.99,
        ),
      want: 'a',
    },
    {
      name: 'affinity key is carried to the instance pick',
      got: () =>
        target({ ...group('auto', { a: 1 }), affinity: { kind: 'header', key: 'x-s' } }, ready, { 'x-s': 'u1' }),
      want: 'a key=u1',
    },
  ];
  for (const row of table) it(row.name, () => expect(row.got()).toBe(row.want));
});
