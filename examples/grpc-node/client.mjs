// Calls the example through Pier's gateway (or directly): every call kind.
//
//   TOKEN=... node examples/grpc-node/client.mjs [host:port]   (default 127.0.0.1:8080)
//
// The gateway routes by the `x-pier-service` metadata (or an :authority of
// `grpc_node.<anything>`) and checks the token in `authorization` metadata.

import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const target = process.argv[2] ?? '127.0.0.1:8080';
const here = (name) => fileURLToPath(new URL(name, import.meta.url));
const definition = protoLoader.loadSync([here('model.proto'), here('health.proto')], { keepCase: true, defaults: true });
const proto = grpc.loadPackageDefinition(definition);

const md = new grpc.Metadata();
md.set('authorization', `Bearer ${process.env.TOKEN ?? ''}`);
md.set('x-pier-service', process.env.SERVICE ?? 'grpc_node');

const model = new proto.pier.examples.TextModel(target, grpc.credentials.createInsecure());
const health = new proto.grpc.health.v1.Health(target, grpc.credentials.createInsecure());

const unary = (client, method, req) =>
  new Promise((resolve, reject) => client[method](req, md, (err, res) => (err ? reject(err) : resolve(res))));

console.log('Health/Check', await unary(health, 'Check', { service: '' }));
console.log('Predict', await unary(model, 'Predict', { text: 'self hosted model serving' }));

const tokens = [];
for await (const t of model.Generate({ prompt: 'tokens arrive one by one', max_tokens: 5, interval_ms: 50 }, md)) {
  tokens.push(t.text);
}
console.log('Generate', tokens.join(' '));

const chat = model.Chat(md);
chat.on('data', (m) => console.log('Chat', m));
for (const text of ['hi', 'how are you?']) chat.write({ text });
chat.end();
await new Promise((resolve) => chat.on('end', resolve));
model.close();
health.close();
