import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { sampleSpec } from '../../test/support/store.js';
import { openStore, type Store } from './index.js';

let home: string;
let store: Store;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'pier-groups-'));
  store = openStore({ home, clock: new ManualClock() });
  for (const name of ['a', 'b', 'c']) {
    store.createService({ name, token: `t-${name}`, spec: sampleSpec(name), desiredInstances: 1, summary: 'initial' });
  }
});

afterEach(() => {
  store.close();
  rmSync(home, { recursive: true, force: true });
});

let n = 0;
const token = () => `group-token-${++n}`;

describe('GroupTable', () => {
  it('creates a group on first use with a token, keeps that token, and removes it with its last member', () => {
    store.groups.sync(new Map([['g', ['a', 'b']]]), token);
    const g = store.groups.get('g')!;
    expect(g).toMatchObject({ name: 'g', mode: 'auto', members: [] });
    expect(g.token).toMatch(/^group-token-/);
    store.groups.sync(new Map([['g', ['a']]]), token);
    expect(store.groups.get('g')!.token).toBe(g.token);
    store.groups.sync(new Map(), token);
    expect(store.groups.get('g')).toBeUndefined();
    expect(store.groups.list()).toEqual([]);
  });

  it('stores mode, affinity and member weights; a member that leaves loses its weight', () => {
    store.groups.sync(new Map([['g', ['a', 'b']]]), token);
    const g = store.groups.setTraffic('g', {
      mode: 'custom',
      affinity: { kind: 'header', key: 'x-session' },
      members: { a: { weight: 90 }, b: { weight: 10, standalone: true } },
    })!;
    expect(g).toMatchObject({
      mode: 'custom',
      affinity: { kind: 'header', key: 'x-session' },
      members: [
        { service: 'a', weight: 90, standalone: false },
        { service: 'b', weight: 10, standalone: true },
      ],
    });
    // A partial change keeps the rest.
    expect(store.groups.setTraffic('g', { members: { b: { standalone: false } } })!.members[1]).toEqual({
      service: 'b',
      weight: 10,
      standalone: false,
    });
    expect(store.groups.setTraffic('g', { affinity: null })!.affinity).toBeUndefined();
    store.groups.sync(new Map([['g', ['a']]]), token);
    expect(store.groups.get('g')!.members.map((m) => m.service)).toEqual(['a']);
  });

  it('drops a deleted service’s weights with it, and refuses weights outside 0–1000', () => {
    store.groups.sync(new Map([['g', ['a', 'c']]]), token);
    store.groups.setTraffic('g', { members: { c: { weight: 5 } } });
    store.deleteService('c');
    expect(store.groups.get('g')!.members).toEqual([]);
    expect(() => store.groups.setTraffic('g', { members: { a: { weight: 1001 } } })).toThrow(/CHECK/);
    expect(store.groups.setTraffic('nope', { mode: 'auto' })).toBeUndefined();
  });
});
