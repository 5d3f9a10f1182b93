/**
 * kill -9 of Pier itself while an async service works through its queue: every
 * acknowledged put is answered exactly once in the sink after the restart (the
 * queues are in <home>/queues.db; an answer and its input's commit are one
 * transaction, so an item in flight at the kill is simply delivered again).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { ServiceDescription } from '../../src/api/index.js';
import { decodeFrameList, PROTOBUF } from '../../src/queue/index.js';
import { waitFor } from '../support/wait.js';
import { asyncModelSpec, callApi, freePort, type PierChild, startPierProcess } from './helpers.js';

const admin = 'async-restart-admin-token-0123456789';
const home = mkdtempSync(path.join(tmpdir(), 'pier-async-restart-'));
const children: PierChild[] = [];
const name = 'survivorq';

afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGTERM');
  await waitFor(() => children.every((c) => c.child.exitCode !== null || c.child.signalCode !== null), {
    what: 'servers to exit',
    timeoutMs: 60_000,
  });
  rmSync(home, { recursive: true, force: true });
});

it('every acknowledged put is answered exactly once across a kill -9 of Pier', async () => {
  const controlPort = await freePort();
  const gatewayPort = await freePort();
  const first = await startPierProcess(home, controlPort, gatewayPort, admin);
  children.push(first);
  const api = <T>(method: string, route: string, body?: unknown) =>
    callApi<T>(first.controlUrl, admin, method, route, body);
  const spec = asyncModelSpec(name, 3, 2);
  expect((await api('POST', '/api/v1/services', spec)).status).toBe(201);
  const running = async () =>
    waitFor(
      async () => {
        const d = (await api<ServiceDescription>('GET', `/api/v1/services/${name}`)).body;
        return d.status === 'Running' ? d : undefined;
      },
      { what: 'the async service to run', timeoutMs: 120_000 },
    );
  const { token } = await running();
  const url = `${first.gatewayUrl}/api/predict/${name}`;
  const sent = new Map<string, string>();
  const putAll = async (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const res = await fetch(url, { method: 'POST', headers: { authorization: token }, body: `r-${i}` });
      expect(res.status).toBe(200);
      sent.set(res.headers.get('x-eas-queueservice-request-id')!, `r-${i}`);
    }
  };
  const sinkCount = async () =>
    Number(await (await fetch(`${url}/sink?_count_=true`, { headers: { authorization: token } })).text());

  await putAll(0, 120);
  await waitFor(async () => (await sinkCount()) >= 10, { what: 'the first answers', timeoutMs: 60_000 });
  first.child.kill('SIGKILL');
  await waitFor(() => first.child.signalCode === 'SIGKILL', { what: 'Pier to die', timeoutMs: 60_000 });

  const second = await startPierProcess(home, controlPort, gatewayPort, admin);
  children.push(second);
  await running();
  await putAll(120, 150);
  await waitFor(async () => (await sinkCount()) >= 150, { what: '150 answers in the sink', timeoutMs: 180_000 });
  const res = await fetch(`${url}/sink?_length_=1000&_timeout_=0s`, {
    headers: { authorization: token, accept: PROTOBUF },
  });
  const frames = decodeFrameList(Buffer.from(await res.arrayBuffer()));
  const ids = frames.map((f) => f.tags.requestId!);
  expect(new Set(ids).size).toBe(ids.length);
  expect(Object.fromEntries(frames.map((f) => [f.tags.requestId, f.data.toString()]))).toEqual(
    Object.fromEntries([...sent].map(([id, body]) => [id, `done:${body}`])),
  );
});
