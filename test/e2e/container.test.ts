/**
 * Custom images on podman, as the EAS custom-image pages describe them: the
 * seed's service.json shape with a locally made image serving HTTP on 8000,
 * two instances and a liveness check; one container killed and restarted; a
 * rolling update to a second image tag with 0 failed requests; and a private
 * image whose dockerAuth never shows anywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceView, ServiceDescription } from '../../src/api/index.js';
import type { EventRecord } from '../../src/store/index.js';
import { buildAppImage, podman, TEST_APP_IMAGE } from '../support/image.js';
import { startLoad } from '../support/load.js';
import { startTestPier, type TestPier } from './helpers.js';
import { waitFor } from '../support/wait.js';

const IMAGE = TEST_APP_IMAGE;

const seedSpec = (tag: string) => ({
  name: 'image_test',
  containers: [
    {
      image: `${IMAGE}:${tag}`,
      env: [{ name: 'var_name', value: 'var_value' }],
      script: 'httpd -f -p 8000 -h /www',
      port: 8000,
      liveness_check: {
        http_get: { path: '/index.html', port: 8000 },
        initial_delay_seconds: 1,
        period_seconds: 1,
        failure_threshold: 3,
      },
    },
  ],
  metadata: { instance: 2, eas: { termination_grace_period: 5 } },
});

let pier: TestPier;
beforeAll(async () => {
  buildAppImage('v1');
  buildAppImage('v2');
  pier = await startTestPier();
});
afterAll(async () => {
  await pier?.close();
});

const desc = async (name: string) => (await pier.api<ServiceDescription>('GET', `/api/v1/services/${name}`)).body;
const instances = async (name: string) =>
  (await pier.api<InstanceView[]>('GET', `/api/v1/services/${name}/instances`)).body;

describe('custom images on podman', () => {
  let svc: ServiceDescription;

  it('runs the seed spec with two instances and serves through the gateway', async () => {
    expect((await pier.api('POST', '/api/v1/services', seedSpec('v1'))).status).toBe(201);
    svc = await waitFor(
      async () => {
        const d = await desc('image_test');
        return d.status === 'Running' ? d : undefined;
      },
      { what: 'Running', timeoutMs: 60_000 },
    );
    expect(svc.instances.ready).toBe(2);
    const res = await fetch(svc.endpoint, { headers: { authorization: svc.token } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('model v1\n');
  });

  it('restarts a container that is killed', async () => {
    const victim = (await instances('image_test'))[0];
    const ids = podman(['ps', '-q', '--filter', `label=pier.instance=${victim.id}`])
      .trim()
      .split('\n');
    expect(ids[0]).toBeTruthy();
    podman(['kill', ids[0]]);
    const back = await waitFor(
      async () => {
        const i = (await instances('image_test')).find((x) => x.id === victim.id);
        return i && i.restarts >= 1 && i.ready ? i : undefined;
      },
      { what: 'restart', timeoutMs: 60_000 },
    );
    expect(back.lastState?.exitCode).not.toBe(0);
  });

  it('rolls to a second image tag with 0 failed requests', async () => {
    const load = startLoad({
      endpoint: svc.endpoint,
      token: svc.token,
      concurrency: 8,
      method: 'GET',
      path: '/index.html',
    });
    await waitFor(() => load.result.ok > 50, { what: 'load', timeoutMs: 60_000 });
    const res = await pier.api('PATCH', `/api/v1/services/image_test`, {
      set: { 'containers[0].image': `${IMAGE}:v2` },
    });
    expect(res.status).toBe(200);
    await waitFor(
      async () => {
        const d = await desc('image_test');
        const list = await instances('image_test');
        return d.status === 'Running' && d.revision === 2 && list.length === 2 && list.every((i) => i.revision === 2);
      },
      { what: 'revision 2 everywhere', timeoutMs: 120_000 },
    );
    const before = load.result.ok;
    await waitFor(() => load.result.ok > before + 50, { what: 'load after', timeoutMs: 60_000 });
    const r = await load.stop();
    expect(r.failures).toEqual([]);
    const answer = await fetch(svc.endpoint, { headers: { authorization: svc.token } });
    expect(await answer.text()).toBe('model v2\n');
  });

  it('never shows dockerAuth: not in desc, events, logs or errors', async () => {
    const secret = 'pier-user:s3cret-pa55word';
    const b64 = Buffer.from(secret).toString('base64');
    const spec = {
      name: 'private_img',
      containers: [{ image: 'registry.invalid/team/private:1', script: 'httpd -f -p 8000', port: 8000 }],
      dockerAuth: b64,
      metadata: { instance: 1 },
    };
    expect((await pier.api('POST', '/api/v1/services', spec)).status).toBe(201);
    const failed = await waitFor(
      async () => {
        const list = await instances('private_img');
        return list[0]?.lastState?.message?.includes('ImagePullBackOff') ? list[0] : undefined;
      },
      { what: 'the pull to fail', timeoutMs: 120_000 },
    );
    const seen = [
      JSON.stringify(await desc('private_img')),
      JSON.stringify(failed),
      JSON.stringify((await pier.api<EventRecord[]>('GET', '/api/v1/services/private_img/events')).body),
      String((await pier.api('GET', '/api/v1/services/private_img/logs')).body),
      JSON.stringify((await pier.api('GET', '/api/v1/services/private_img/revisions')).body),
    ].join('\n');
    expect(seen).toContain('ImagePullBackOff');
    expect(seen).not.toContain('s3cret-pa55word');
    expect(seen).not.toContain(b64);
    expect((await desc('private_img')).spec.dockerAuth).toBe('***');
    await pier.api('DELETE', '/api/v1/services/private_img');
  });
});
