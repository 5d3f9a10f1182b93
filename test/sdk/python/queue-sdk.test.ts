/**
 * The official Python SDK's QueueClient (eas-prediction from PyPI, unchanged) against
 * an async service on Pier: the semantics of the SDK's own test_queue_client.py
 * (requestId of sink frames equals the put's, watch in index order, stream.length 0
 * after commit or auto-commit, items put on the input reach the sink).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDescription } from '../../../src/api/index.js';
import { asyncModelSpec, startTestPier, type TestPier, waitRunning } from '../../e2e/helpers.js';
import { hasSdkPython, runPython, sdkPython } from './python.js';

const name = 'pyqueue';
let pier: TestPier;
let svc: ServiceDescription;

beforeAll(async () => {
  if (!hasSdkPython()) return; // each test then fails, naming setup.sh
  pier = await startTestPier();
  const spec = asyncModelSpec(name, 2, 2);
  expect((await pier.api('POST', '/api/v1/services', spec)).status).toBe(201);
  svc = await waitRunning(pier, name);
});
afterAll(async () => {
  await pier?.close();
});

type Frame = { index: number; tags: Record<string, string>; data: string };

describe('eas-prediction QueueClient (issue 16)', () => {
  it('put, attributes, watch + commit, auto-commit, search, get, delete, truncate on a queue', async () => {
    sdkPython();
    const { result: r } = await runPython('queue_sdk.py', ['queue', pier.gatewayUrl, name, svc.token], {
      timeoutMs: 120_000,
    });
    const puts = r.puts as [number, string][];
    expect(puts.map(([i]) => i)).toEqual([1, 2, 3, 4, 5]);
    expect((r.attrs as Record<string, string>)['stream.length']).toBe('5');
    const frames = r.frames as Frame[];
    expect(frames.map((f) => f.index)).toEqual([1, 2, 3, 4, 5]);
    expect(frames.map((f) => f.tags.requestId)).toEqual(puts.map(([, id]) => id));
    expect(frames.map((f) => [f.data, f.tags.k])).toEqual([0, 1, 2, 3, 4].map((i) => [`item-${i}`, `v${i}`]));
    expect(r.afterCommit).toBe('0');
    expect((r.auto as Frame[]).map((f) => f.data)).toEqual(['auto-0', 'auto-1', 'auto-2']);
    expect(r.afterAuto).toBe('0');
    expect(r.search).toEqual({ IsPending: false, WaitCount: 0 });
    expect(r.got).toEqual(['searched']);
    expect(r.gone).toBe(0);
    expect(r.left).toEqual([[r.second, 't2']]);
  });

  it('items put on the input queue are answered by the instances and read from the sink', async () => {
    sdkPython();
    const { result: r } = await runPython('queue_sdk.py', ['service', pier.gatewayUrl, name, svc.token], {
      timeoutMs: 120_000,
    });
    const sent = r.sent as Record<string, string>;
    const frames = r.frames as Frame[];
    expect(frames).toHaveLength(20);
    expect(Object.fromEntries(frames.map((f) => [f.tags.requestId, f.data]))).toEqual(
      Object.fromEntries(Object.entries(sent).map(([id, body]) => [id, `done:${body}`])),
    );
    const polled = r.polled as { data: string; tags: Record<string, string> }[];
    expect(polled.map((p) => [p.data, p.tags.requestId])).toEqual([['done:polled', r.polledId]]);
  });
});
