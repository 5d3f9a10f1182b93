/**
 * An async service (metadata.type "Async") on a real Pier with 3 instances whose
 * model takes 50–500 ms: 300 puts through the gateway, one instance kill -9'd
 * mid-run; every request id appears exactly once in the sink with its body.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceView, ServiceDescription } from '../../src/api/index.js';
import { decodeFrameList, PROTOBUF } from '../../src/queue/index.js';
import { waitFor } from '../support/wait.js';
import { repoRoot, startTestPier, type TestPier, waitRunning } from './helpers.js';
import { pidOf } from '../support/instance.js';

const name = 'asyncjobs';
const model = path.join(repoRoot, 'test/e2e/fixtures/async-model.mjs');
let pier: TestPier;
let svc: ServiceDescription;

beforeAll(async () => {
  pier = await startTestPier();
  const spec = {
    name,
    metadata: { type: 'Async', instance: 3, rpc: { worker_threads: 2 }, eas: { termination_grace_period: 5 } },
    containers: [
      {
        command: `node ${model}`,
        port: 8000,
        readiness_check: { http_get: { path: '/health', port: 8000 }, period_seconds: 1 },
      },
    ],
  };
  expect((await pier.api('POST', '/api/v1/services', spec)).status).toBe(201);
  svc = await waitRunning(pier, name);
});
afterAll(async () => {
  await pier?.close();
});

const queueUrl = (sub = '') => `${pier.gatewayUrl}/api/predict/${name}${sub}`;

async function sinkCount(): Promise<number> {
  const res = await fetch(`${queueUrl('/sink')}?_count_=true`, { headers: { authorization: svc.token } });
  return Number(await res.text());
}

describe('async service end to end (issue 16)', () => {
  it('300 puts, one instance kill -9d mid-run: every request id exactly once in the sink', async () => {
    const sent = new Map<string, string>();
    const instances = (await pier.api<InstanceView[]>('GET', `/api/v1/services/${name}/instances`)).body;
    expect(instances.filter((i) => i.ready)).toHaveLength(3);
    let killed = false;
    for (let i = 0; i < 300; i++) {
      const body = `item-${i}`;
      const res = await fetch(queueUrl(), { method: 'POST', headers: { authorization: svc.token }, body });
      expect(res.status).toBe(200);
      expect(Number(await res.text())).toBe(i + 1);
      sent.set(res.headers.get('x-eas-queueservice-request-id')!, body);
      if (i === 100 && !killed) {
        // Mid-run: the instance holds items of its own (worker_threads 2) when it dies.
        await waitFor(async () => (await sinkCount()) >= 10, { what: 'the first answers', timeoutMs: 60_000 });
        process.kill(pidOf(instances[0]!), 'SIGKILL');
        killed = true;
      }
    }
    await waitFor(async () => (await sinkCount()) >= 300, { what: '300 answers in the sink', timeoutMs: 180_000 });
    const res = await fetch(`${queueUrl('/sink')}?_index_=0&_length_=1000&_timeout_=0s`, {
      headers: { authorization: svc.token, accept: PROTOBUF },
    });
    const frames = decodeFrameList(Buffer.from(await res.arrayBuffer()));
    expect(frames).toHaveLength(300);
    const seen = new Map<string, string>();
    for (const f of frames) {
      const id = f.tags.requestId!;
      expect(seen.has(id), `request id ${id} twice`).toBe(false);
      seen.set(id, f.data.toString());
      expect(f.tags.lastCode).toBeUndefined();
    }
    for (const [id, body] of sent) expect(seen.get(id)).toBe(`done:${body}`);
    const input = await fetch(`${queueUrl()}?_count_=true`, { headers: { authorization: svc.token } });
    expect(await input.text()).toBe('0');
  });

  it('pier queue shows both queues and the instances fed; desc shows both endpoints', async () => {
    const q = await pier.cli(['queue', name, '-o', 'json']);
    expect(q.code).toBe(0);
    const view = JSON.parse(q.stdout);
    expect(view.input).toMatchObject({ endpoint: queueUrl(), length: 0 });
    expect(view.sink).toMatchObject({ endpoint: queueUrl('/sink'), length: 300 });
    expect(view.instances).toBeGreaterThanOrEqual(2);
    const d = await pier.cli(['desc', name]);
    expect(d.stdout).toMatch(new RegExp(`Input queue:\\s+${queueUrl()}\\n`));
    expect(d.stdout).toMatch(new RegExp(`Sink queue:\\s+${queueUrl('/sink')}\\n`));
  });

  it('a rollout of all 3 instances and a scale-down to 1 mid-run: every request id exactly once', async () => {
    const before = await sinkCount();
    const sent = new Map<string, string>();
    const putSome = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const res = await fetch(queueUrl(), {
          method: 'POST',
          headers: { authorization: svc.token },
          body: `roll-${i}`,
        });
        expect(res.status).toBe(200);
        sent.set(res.headers.get('x-eas-queueservice-request-id')!, `roll-${i}`);
      }
    };
    await putSome(0, 100);
    // A new revision (an env change) replaces every instance through the rolling path.
    const set = { 'containers[0].env': [{ name: 'ROLL', value: '2' }] };
    expect((await pier.api('PATCH', `/api/v1/services/${name}`, { set })).status).toBe(200);
    await putSome(100, 150);
    expect((await pier.api('POST', `/api/v1/services/${name}/scale`, { instances: 1 })).status).toBe(200);
    await putSome(150, 200);
    await waitFor(async () => (await sinkCount()) >= before + 200, { what: '200 more answers', timeoutMs: 180_000 });
    const res = await fetch(`${queueUrl('/sink')}?_index_=0&_length_=1000&_timeout_=0s`, {
      headers: { authorization: svc.token, accept: PROTOBUF },
    });
    const frames = decodeFrameList(Buffer.from(await res.arrayBuffer())).filter((f) => sent.has(f.tags.requestId!));
    expect(frames).toHaveLength(200);
    expect(new Set(frames.map((f) => f.tags.requestId)).size).toBe(200);
    for (const f of frames) expect(f.data.toString()).toBe(`done:${sent.get(f.tags.requestId!)}`);
    expect(frames.every((f) => f.tags.lastCode === undefined)).toBe(true);
    const d = (await pier.api<ServiceDescription>('GET', `/api/v1/services/${name}`)).body;
    expect([d.revision, d.desired]).toEqual([2, 1]);
  });

  it('both queues take the service token; a wrong one is 401', async () => {
    const wrong = await fetch(`${queueUrl('/sink')}?_attrs_=true`, { headers: { authorization: 'nope-nope-nope' } });
    expect(wrong.status).toBe(401);
    const attrs = await fetch(`${queueUrl('/sink')}?_attrs_=true`, { headers: { authorization: svc.token } });
    expect((await attrs.json()) as Record<string, string>).toMatchObject({ 'meta.name': `${name}/sink` });
  });
});

describe('async service scaled to zero (issue 16)', () => {
  it('drains to zero when idle and the first put starts an instance that answers it', {
    timeout: 300_000,
  }, async () => {
    const zname = 'asynczero';
    const spec = {
      name: zname,
      metadata: { type: 'Async', instance: 1, eas: { termination_grace_period: 2 } },
      containers: [
        {
          command: `node ${model}`,
          port: 8000,
          readiness_check: { http_get: { path: '/health', port: 8000 }, period_seconds: 1 },
        },
      ],
      autoscaler: {
        min: 0,
        max: 2,
        scaleStrategies: [{ metricName: 'qps', threshold: 5 }],
        behavior: { scaleDown: { stabilizationWindowSeconds: 0 }, onZero: { scaleDownGracePeriodSeconds: 3 } },
      },
    };
    expect((await pier.api('POST', '/api/v1/services', spec)).status).toBe(201);
    const desc = async () => (await pier.api<ServiceDescription>('GET', `/api/v1/services/${zname}`)).body;
    const zero = await waitFor(
      async () => {
        const x = await desc();
        return x.desired === 0 && x.instances.total === 0 && x.status === 'Running' ? x : undefined;
      },
      { what: 'scaled to zero', timeoutMs: 120_000 },
    );
    const url = `${pier.gatewayUrl}/api/predict/${zname}`;
    const put = await fetch(url, { method: 'POST', headers: { authorization: zero.token }, body: 'wake' });
    expect(put.status).toBe(200);
    const id = put.headers.get('x-eas-queueservice-request-id')!;
    // The PAI SDK's AsyncPredictor path: poll the sink by request id (204 until it is there).
    const answer = await waitFor(
      async () => {
        const r = await fetch(`${url}/sink?requestId=${id}&_timeout_=1s`, { headers: { authorization: zero.token } });
        return r.status === 200 ? ((await r.json()) as { data: string; tags: Record<string, string> }[]) : undefined;
      },
      { what: 'the answer of the first put', timeoutMs: 120_000 },
    );
    expect(answer.map((f) => [Buffer.from(f.data, 'base64').toString(), f.tags.requestId])).toEqual([
      ['done:wake', id],
    ]);
  });
});
