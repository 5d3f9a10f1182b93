/**
 * The OpenAI Python client (from PyPI, unchanged) through Pier's gateway at
 * `/api/predict/<svc>/v1` with the service token as `api_key` (Bearer), against
 * examples/openai-compatible as shipped, and against the same app with its pacing
 * replaced by client acks (fixtures/gated_app.py) to prove chunk-by-chunk arrival.
 */

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, loadSpec, repoRoot, type SdkService, startSdkPier, type TestPier } from '../harness.js';
import { gatedSpec, hasSdkPython, runPython, sdkPython } from './python.js';

let pier: TestPier;
let example: SdkService;
let gated: SdkService;
beforeAll(async () => {
  if (!hasSdkPython()) return; // each test then fails, naming setup.sh
  pier = await startSdkPier();
  [example, gated] = await Promise.all([
    createService(pier, loadSpec(path.join(repoRoot, 'examples/openai-compatible/service.json'))),
    createService(pier, gatedSpec('py_openai_gated')),
  ]);
});
afterAll(async () => {
  await pier?.close();
});

const args = (svc: SdkService) => [svc.gatewayUrl, svc.name, svc.token];

describe('openai client', () => {
  it('lists models, completes a chat, streams one, and gets 401 for a wrong key (example service)', async () => {
    sdkPython();
    const before = await example.gatewayRequests();
    const { result } = await runPython('openai_client.py', ['example', ...args(example)]);
    expect(result.models).toEqual(['pier-echo']);
    expect(result.completion).toEqual({
      object: 'chat.completion',
      content: 'You said: hello from the openai client',
      finish_reason: 'stop',
      completion_tokens: 7,
    });
    const stream = result.stream as { deltas: string[]; finish_reason: string; arrival_ms: number[] };
    // The role chunk (""), one chunk per word, the finish chunk (null content).
    expect(stream.deltas).toEqual(['', 'You ', 'said: ', 'one ', 'two ', 'three ', 'four ', 'five', null]);
    expect(stream.finish_reason).toBe('stop');
    expect(result.wrong_key_status).toBe(401);
    // models.list, create, create(stream): three calls forwarded (the wrong key is answered by the gateway).
    expect(await example.gatewayRequests()).toBe(before + 3);
    console.log(`streamed chunk arrival (ms since the call): ${stream.arrival_ms.join(', ')}`);
  });

  it('a streamed chat completion arrives chunk by chunk (each acknowledged before the next is sent)', async () => {
    sdkPython();
    const { result } = await runPython('openai_client.py', ['gated', ...args(gated)]);
    const words = (result.key as string).split(' ');
    expect(result.deltas).toEqual(['', 'You ', 'said: ', ...words.slice(0, -1).map((w) => `${w} `), 'five', null]);
    // The role chunk, then 8 token chunks ("You said: <key> one … five"), each of
    // which waited for the ack of the chunk before it and got it.
    expect(result.report).toEqual({ chunks: 9, gated: 8, acked_in_time: 8, timeouts: 0 });
    expect(result.acks).toEqual(Array(10).fill(200));
  });
});
