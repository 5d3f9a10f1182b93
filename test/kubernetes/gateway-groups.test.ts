/**
 * Issue #18: service groups on `pier gateway --kubernetes`. The control plane
 * writes each group's token and traffic into the Secret `<group>-group`; with
 * the control plane stopped, the gateway splits the group's traffic by the
 * custom weights (80/20), pins `G.<svc>`, and takes a member's own token only
 * pinned to that member.
 */

import { describe, expect, it } from 'vitest';
import type { GroupDescription, ServiceDescription } from '../../src/api/index.js';
import { startGatewayOnly } from '../../src/server.js';
import { kube, waitOnCluster } from './cluster.js';
import { answering, onCluster, PodBackends } from './fixture.js';

const ns = 'pier-gwg';
const members = ['ga', 'gb'] as const;

const { cluster, pier, stopPier, cleanup } = onCluster(ns);
const backends = new PodBackends();
let gateway: { url: string; close(): Promise<void> } | undefined;
const tokens: Record<string, string> = {};
let groupToken = '';
cleanup(() => backends.close());
cleanup(() => gateway?.close());

/** A backend answering `service` on every ready pod address of the service that has none. */
const bindPods = (service: string) => backends.bind(cluster(), ns, service, () => answering(service));

async function call(target: string, token: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${gateway?.url}/api/predict/${target}`, {
    method: 'POST',
    headers: { authorization: token },
    body: 'x',
  });
  return { status: res.status, text: await res.text() };
}

interface SecretObject {
  metadata: { ownerReferences?: { name: string }[] };
  data?: Record<string, string>;
}

describe('groups on pier gateway --kubernetes (issue #18)', () => {
  it('the control plane writes the group’s token and traffic into the cluster', async () => {
    const p = pier();
    for (const name of members) {
      const spec = {
        name,
        metadata: { instance: 1, group: 'duo' },
        containers: [{ image: 'pier.test/echo:1', port: 8000 }],
      };
      expect((await p.api('POST', '/api/v1/services', spec)).status).toBe(201);
    }
    for (const name of members) {
      const d = await waitOnCluster(
        async () => (await p.api<ServiceDescription>('GET', `/api/v1/services/${name}`)).body,
        (x) => x.status === 'Running' && x.instances.ready === 1,
        `${name} Running`,
      );
      tokens[name] = d.token;
      await waitOnCluster(
        () => bindPods(name),
        (ips) => ips.length === 1,
        `${name}'s pod address`,
      );
      await waitOnCluster(
        async () => (await kube(cluster(), 'GET', `/api/v1/namespaces/${ns}/secrets/${name}-token`)).status,
        (s) => s === 200,
        `${name}'s token Secret`,
      );
    }
    const traffic = await p.api('PATCH', '/api/v1/groups/duo/traffic', {
      mode: 'custom',
      weights: { ga: 800, gb: 200 },
    });
    expect(traffic.status).toBe(200);
    groupToken = (await p.api<GroupDescription>('GET', '/api/v1/groups/duo')).body.token;
    expect(groupToken).not.toBe('');

    const secret = await waitOnCluster(
      async () => (await kube<SecretObject>(cluster(), 'GET', `/api/v1/namespaces/${ns}/secrets/duo-group`)).body,
      (s) =>
        Buffer.from(s.data?.traffic ?? '', 'base64')
          .toString('utf8')
          .includes('"weight":800'),
      'the group Secret with the custom weights',
    );
    expect(Buffer.from(secret.data?.token ?? '', 'base64').toString('utf8')).toBe(groupToken);
    expect((secret.metadata.ownerReferences ?? []).map((o) => o.name).sort()).toEqual(['ga', 'gb']);
  });

  it('splits 80/20, pins, and checks tokens with the control plane stopped', async () => {
    cluster();
    await stopPier();
    gateway = await startGatewayOnly({
      controlUrl: 'http://127.0.0.1:9',
      adminToken: 'k8s-gwg-admin-token-0123456789abcdef',
      host: '127.0.0.1',
      port: 0,
      logLevel: 'error',
      kubernetes: { kubeconfig: cluster().kubeconfig, namespace: ns },
    });
    await waitOnCluster(
      () => call('duo', groupToken),
      (r) => r.status === 200,
      'the group routed by the gateway',
    );

    const counts: Record<string, number> = { ga: 0, gb: 0 };
    let failed = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 50; i++) {
          const r = await call('duo', groupToken);
          if (r.status === 200 && r.text in counts) counts[r.text]!++;
          else failed++;
        }
      }),
    );
    process.stdout.write(`group split over 400 calls: ${JSON.stringify(counts)}, failed ${failed}\n`);
    expect(failed).toBe(0);
    // 400 draws at p = 0.8: the mean is 320, the standard deviation 8; 280–360 is 5 of them.
    expect(counts.ga).toBeGreaterThanOrEqual(280);
    expect(counts.ga).toBeLessThanOrEqual(360);
    expect(counts.ga + (counts.gb ?? 0)).toBe(400);

    // Pinned: the group token or that member's own.
    expect(await call('duo.gb', groupToken)).toEqual({ status: 200, text: 'gb' });
    expect(await call('duo.ga', groupToken)).toEqual({ status: 200, text: 'ga' });
    expect(await call('duo.gb', tokens.gb ?? '')).toEqual({ status: 200, text: 'gb' });
    expect((await call('duo.gb', tokens.ga ?? '')).status).toBe(401);
    // A member's token does not open the group endpoint; a wrong token opens nothing.
    expect((await call('duo', tokens.ga ?? '')).status).toBe(401);
    expect((await call('duo', 'wrong-token')).status).toBe(401);
    expect((await call('duo.nobody', groupToken)).status).toBe(404);
  });
});
