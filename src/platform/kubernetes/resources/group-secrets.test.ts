import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../../spec/index.js';
import type { KubeClient } from '../client.js';
import type { KubeObject } from '../translate/index.js';
import type { GroupRecord } from './group-secret.js';
import { GroupSecretWriter } from './group-secrets.js';
import type { ServiceView } from './plan.js';

function fakeClient(fail: () => boolean) {
  const applied: KubeObject[] = [];
  const client = {
    apply: async (obj: KubeObject) => {
      if (fail()) throw new Error('injected API failure');
      applied.push(obj);
      return obj;
    },
  } as unknown as KubeClient;
  return { client, applied };
}

const group = (weight: number): GroupRecord => ({
  name: 'duo',
  token: 't',
  mode: 'custom',
  createdAt: 0,
  members: [{ service: 'ga', weight, standalone: false }],
});
const view = (name: string, grp?: string): ServiceView => ({
  name,
  desired: 1,
  revision: 1,
  spec: { name, metadata: { instance: 1, ...(grp ? { group: grp } : {}) } } as unknown as ServiceSpec,
});
const uids: Record<string, string> = { ga: 'u-ga', gb: 'u-gb' };

describe('GroupSecretWriter', () => {
  it('writes once per change, owned by the members that have objects, and retries a failed write', async () => {
    let failing = false;
    const { client, applied } = fakeClient(() => failing);
    const w = new GroupSecretWriter(client, pino({ level: 'silent' }));
    const services = [view('ga', 'duo'), view('gb', 'duo'), view('solo'), view('gc', 'duo')];
    await w.sync([group(800)], services, (o) => uids[o]);
    await w.sync([group(800)], services, (o) => uids[o]);
    expect(applied).toHaveLength(1);
    const owners = ((applied[0] as KubeObject).metadata as { ownerReferences: { name: string }[] }).ownerReferences;
    expect(owners.map((o) => o.name)).toEqual(['ga', 'gb']); // gc has no object yet

    failing = true;
    await w.sync([group(700)], services, (o) => uids[o]);
    expect(applied).toHaveLength(1);
    failing = false;
    await w.sync([group(700)], services, (o) => uids[o]);
    expect(applied).toHaveLength(2);
  });

  it('writes nothing for a group none of whose members has an object', async () => {
    const { client, applied } = fakeClient(() => false);
    const w = new GroupSecretWriter(client, pino({ level: 'silent' }));
    await w.sync([group(100)], [view('ga', 'duo')], () => undefined);
    expect(applied).toEqual([]);
  });
});
