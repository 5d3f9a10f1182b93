import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterEach, describe, expect, it } from 'vitest';
import { probeGrpc } from '../../probe/index.js';
import { type Harness, service, startGateway, TOKEN } from '../../../test/support/gateway.js';
import { waitFor } from '../../../test/support/wait.js';

const dir = fileURLToPath(new URL('../../../examples/grpc-node/', import.meta.url));

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

interface TextModel extends grpc.Client {
  Predict(req: { text: string }, md: grpc.Metadata, cb: (err: Error | null, r: unknown) => void): void;
  Generate(req: { prompt: string; max_tokens: number }, md: grpc.Metadata): AsyncIterable<{ text: string }>;
}
type Ctor = new (target: string, creds: grpc.ChannelCredentials) => TextModel;

describe('examples/grpc-node through the gateway', () => {
  let child: ChildProcess | undefined;
  let h: Harness | undefined;
  const clients: grpc.Client[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await h?.gw.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('passes its grpc readiness probe and answers unary and streaming calls via Pier', async () => {
    const port = await freePort();
    child = spawn(process.execPath, [dir + 'server.mjs'], {
      env: { ...process.env, PORT: String(port), PIER_INSTANCE: 'ex-1' },
      stdio: 'ignore',
    });
    const target = { host: '127.0.0.1', port, containerPort: 8000, exec: () => Promise.reject(new Error('unused')) };
    const probe = await waitFor(
      async () => {
        const p = await probeGrpc({ port: 8000 }, target, 1000);
        return p.result === 'success' && p;
      },
      { what: 'the example to pass its grpc health probe', timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(probe).toEqual({ result: 'success', message: 'grpc health server: SERVING' });

    const ep = { instanceId: 'ex-1', host: '127.0.0.1', port, revision: 1 };
    h = await startGateway([service('grpc_node', [ep], { enableGrpc: true })]);
    const def = protoLoader.loadSync([dir + 'model.proto', dir + 'health.proto'], { keepCase: true, defaults: true });
    const proto = grpc.loadPackageDefinition(def) as unknown as { pier: { examples: { TextModel: Ctor } } };
    const Model = proto.pier.examples.TextModel;
    const direct = new Model(`127.0.0.1:${h.port}`, grpc.credentials.createInsecure());
    clients.push(direct);
    const md = new grpc.Metadata();
    md.set('authorization', TOKEN);
    md.set('x-pier-service', 'grpc_node');
    const reply = await new Promise<unknown>((resolve, reject) =>
      direct.Predict({ text: 'a b c' }, md, (err: Error | null, r: unknown) => (err ? reject(err) : resolve(r))),
    );
    expect(reply).toEqual({ words: 3, upper: 'A B C', instance: 'ex-1' });
    const tokens: string[] = [];
    for await (const t of direct.Generate({ prompt: 'one two', max_tokens: 4 }, md)) tokens.push(t.text);
    expect(tokens).toEqual(['one', 'two', 'one', 'two']);
  });
});
