/**
 * The gRPC example deployed by Pier (enable_grpc, a grpc readiness probe) and
 * called through Pier's gateway with @grpc/grpc-js: unary, server streaming and
 * a wrong token.
 */
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ServiceDescription } from '../../src/api/index.js';
import { repoRoot, startTestPier, type TestPier } from './helpers.js';
import { waitFor } from '../support/wait.js';

let pier: TestPier;
beforeAll(async () => {
  pier = await startTestPier();
});
afterAll(async () => {
  await pier?.close();
});

it('serves the gRPC example through the gateway with the service token', async () => {
  const r = await pier.cli(['create', path.join(repoRoot, 'examples/grpc-node/service.json')]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  const d = (await pier.api<ServiceDescription>('GET', '/api/v1/services/grpc_node')).body;
  expect(d.status).toBe('Running');

  const dir = path.join(repoRoot, 'examples/grpc-node');
  const def = protoLoader.loadSync([path.join(dir, 'model.proto')], { keepCase: true, defaults: true });
  // biome-ignore lint/suspicious/noExplicitAny: generated client from a .proto
  const proto = grpc.loadPackageDefinition(def) as any;
  const target = new URL(pier.gatewayUrl).host;
  const client = new proto.pier.examples.TextModel(target, grpc.credentials.createInsecure());
  const md = (token: string) => {
    const m = new grpc.Metadata();
    m.set('authorization', token);
    m.set('x-pier-service', 'grpc_node');
    return m;
  };
  try {
    const reply = await new Promise<{ text?: string }>((resolve, reject) =>
      client.Predict({ text: 'hello pier' }, md(d.token), (err: Error | null, res: { text?: string }) =>
        err ? reject(err) : resolve(res),
      ),
    );
    expect(reply).toBeTruthy();

    const tokens: unknown[] = [];
    const stream = client.Generate(
      { prompt: 'one two three', max_tokens: 3, interval_ms: 20 },
      md(`Bearer ${d.token}`),
    );
    for await (const t of stream) tokens.push(t);
    expect(tokens).toHaveLength(3);

    const denied = await new Promise<grpc.ServiceError>((resolve) =>
      client.Predict({ text: 'x' }, md('wrong-token'), (err: grpc.ServiceError) => resolve(err)),
    );
    expect(denied.code).toBe(grpc.status.UNAUTHENTICATED);
  } finally {
    client.close();
  }
  await waitFor(async () => (await pier.api('DELETE', '/api/v1/services/grpc_node')).status === 200, {
    what: 'delete',
    timeoutMs: 60_000,
  });
});
