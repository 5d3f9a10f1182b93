/**
 * The official EAS Python SDK (`eas-prediction` from PyPI, unchanged) against a
 * real Pier: gateway calls with the signed `EAS` header, a wrong token, direct
 * mode through discovery, an instance killed mid-run, and a large body.
 * Needs `bash test/sdk/python/setup.sh` (the test fails, naming it, otherwise).
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroupDescription } from '../../../src/api/index.js';
import { createService, fixtureSpec, type SdkService, startSdkPier, type TestPier } from '../harness.js';
import { hasSdkPython, runPython, sdkPython } from './python.js';

const readiness = { readiness_check: { http_get: { path: '/health', port: 8000 }, period_seconds: 1 } };

let pier: TestPier;
let echo: SdkService;
beforeAll(async () => {
  if (!hasSdkPython()) return; // each test then fails, naming setup.sh
  pier = await startSdkPier();
  echo = await createService(pier, fixtureSpec('py_echo', {}, readiness, { instance: 2 }));
});
afterAll(async () => {
  await pier?.close();
});

const args = (svc: SdkService, ...rest: string[]) => [svc.gatewayUrl, svc.name, svc.token, ...rest];

describe('eas-prediction PredictClient', () => {
  it('predicts through the gateway with the signed EAS header: 200 and the instance body', async () => {
    sdkPython();
    const before = await echo.gatewayRequests();
    const { result } = await runPython('eas_sdk.py', ['gateway', ...args(echo)]);
    expect(result.ok).toBe(true);
    const answer = result.answer as { path: string; body: string; instance: string };
    // The gateway forwards the sub-path after /api/predict/<svc>: none here, so "/".
    expect(answer).toMatchObject({ path: '/', body: 'hello pier' });
    expect(answer.instance).toBeTruthy();
    expect(await echo.gatewayRequests()).toBe(before + 1);
  });

  it('calls a service group endpoint with the group token, unchanged (signed EAS header)', async () => {
    sdkPython();
    const groupSpec = (name: string) => fixtureSpec(name, {}, readiness, { group: 'py_grp' });
    const members = [
      await createService(pier, groupSpec('py_grp_a')),
      await createService(pier, groupSpec('py_grp_b')),
    ];
    const group = (await pier.api<GroupDescription>('GET', '/api/v1/groups/py_grp')).body;
    const ids = new Set<string>();
    for (const m of members) for (const i of await m.instances()) ids.add(i.id);
    const { result } = await runPython('eas_sdk.py', ['gateway', pier.gatewayUrl, 'py_grp', group.token]);
    expect(result.ok).toBe(true);
    const answer = result.answer as { path: string; body: string; instance: string };
    expect(answer).toMatchObject({ path: '/', body: 'hello pier' });
    expect(ids.has(answer.instance)).toBe(true);
    // And a member pinned through the group: the SDK signs /api/predict/py_grp.py_grp_b.
    const pinned = await runPython('eas_sdk.py', ['gateway', pier.gatewayUrl, 'py_grp.py_grp_b', group.token]);
    const pinnedIds = new Set((await members[1]!.instances()).map((i) => i.id));
    expect(pinnedIds.has((pinned.result.answer as { instance: string }).instance)).toBe(true);
  });

  it('surfaces 401 as PredictException for a wrong token', async () => {
    sdkPython();
    const { result } = await runPython('eas_sdk.py', ['wrong-token', ...args(echo)]);
    expect(result.ok).toBe(true);
    expect(result.code).toBe(401);
    expect(result.message).toContain('wrong token or signature');
  });

  it('direct mode: discovery without a token, then calls that reach instances without the gateway', async () => {
    sdkPython();
    const before = await echo.gatewayRequests();
    const { result } = await runPython('eas_sdk.py', ['direct', ...args(echo, '20')]);
    expect(result).toMatchObject({ ok: true, calls: 20 });
    // An instance sees the full /api/predict/<svc> path only when called directly
    // (through the gateway it gets the sub-path, "/").
    expect(result.paths).toEqual([`/api/predict/${echo.name}`]);
    // The SDK's weighted round robin spreads the calls over both instances.
    expect((result.instances as string[]).length).toBe(2);
    expect(await echo.gatewayRequests()).toBe(before);
  });

  it('a 16 MiB body makes the round trip intact', async () => {
    sdkPython();
    const { result } = await runPython('eas_sdk.py', ['large', ...args(echo, '16')]);
    expect(result.bytes).toBe(16 * 1024 * 1024);
    expect(result.echoed_bytes).toBe(result.bytes);
    expect(result.echoed_sha256).toBe(result.sent_sha256);
  });

  it('200 calls with an instance killed (-9) mid-run all succeed', async () => {
    sdkPython();
    const svc = await createService(pier, fixtureSpec('py_kill', {}, readiness, { instance: 3 }));
    let killed: number | undefined;
    const { result } = await runPython('eas_sdk.py', ['kill', ...args(svc, '200')], {
      onLine: (line, write) => {
        if (!line.startsWith('{"progress"')) return;
        void svc.killInstance(0).then(
          (pid) => {
            killed = pid;
            write('killed');
          },
          (err) => write(`kill failed: ${err}`),
        );
      },
    });
    expect(killed).toBeDefined();
    expect(result.errors).toEqual([]);
    expect(result).toMatchObject({ ok: true, calls: 200, succeeded: 200 });
    // Calls before the kill were spread over all three instances, and calls went on
    // being answered after it. How they spread over the survivors is the balancer's
    // choice: peak-EWMA keeps one-at-a-time calls on the fastest instance until the
    // others' estimates decay (τ = 1 s), so one survivor may take them all.
    expect(Object.keys(result.before as object).length).toBe(3);
    const after = Object.values(result.after as Record<string, number>).reduce((n, c) => n + c, 0);
    expect(after).toBeGreaterThan(0);
    console.log(
      `kill -9 of pid ${killed}: before ${JSON.stringify(result.before)} after ${JSON.stringify(result.after)}`,
    );
  });
});
