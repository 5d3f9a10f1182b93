/**
 * LangChain's PaiEasEndpoint (langchain-community from PyPI, unchanged) streaming
 * a NUL-delimited answer through Pier's gateway. The service (fixtures/gated_app.py)
 * writes chunk k+1 only after the client has acknowledged chunk k, so a stream that
 * completes with every chunk acknowledged in time arrived chunk by chunk: any
 * buffering between the two would hold chunk k back and its ack would never come.
 */

import { afterAll, beforeAll, expect, it } from 'vitest';
import { createService, type SdkService, startSdkPier, type TestPier } from '../harness.js';
import { gatedSpec, hasSdkPython, runPython, sdkPython } from './python.js';

let pier: TestPier;
let svc: SdkService;
beforeAll(async () => {
  if (!hasSdkPython()) return; // each test then fails, naming setup.sh
  pier = await startSdkPier();
  svc = await createService(pier, gatedSpec('py_langchain'));
});
afterAll(async () => {
  await pier?.close();
});

it('PaiEasEndpoint(streaming=True) yields each NUL-delimited chunk before the next is sent', async () => {
  sdkPython();
  const { result } = await runPython('langchain_stream.py', [svc.gatewayUrl, svc.name, svc.token]);
  expect(result.chunks).toEqual(['w0 ', 'w1 ', 'w2 ', 'w3 ', 'w4 ', 'w5 ']);
  expect(result.acks).toEqual([200, 200, 200, 200, 200, 200]);
  // Chunks 1..5 each waited for the ack of the one before, and got it.
  expect(result.report).toEqual({ chunks: 6, gated: 5, acked_in_time: 5, timeouts: 0 });
});
