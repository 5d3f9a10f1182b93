// gRPC example server for Pier: @grpc/grpc-js and @grpc/proto-loader.
//
// Services (see model.proto and health.proto):
//   pier.examples.TextModel/Predict   unary
//   pier.examples.TextModel/Generate  server streaming (one token per message)
//   pier.examples.TextModel/Chat      bidirectional
//   grpc.health.v1.Health/Check       SERVING ("" and "pier.examples.TextModel"),
//                                     NOT_SERVING while draining
//
// Env: PORT (default 8000), PIER_INSTANCE.
// SIGTERM/SIGINT: report NOT_SERVING, let open calls finish (25 s at most), exit 0.

import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const PORT = Number(process.env.PORT ?? 8000);
const INSTANCE = process.env.PIER_INSTANCE ?? 'local';
const DRAIN_MS = 25_000;
const here = (name) => fileURLToPath(new URL(name, import.meta.url));

const definition = protoLoader.loadSync([here('model.proto'), here('health.proto')], {
  keepCase: true,
  defaults: true,
});
const proto = grpc.loadPackageDefinition(definition);

let draining = false;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const textModel = {
  Predict(call, callback) {
    const text = call.request.text;
    if (text === '') {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: 'text must not be empty' });
      return;
    }
    const words = text.split(/\s+/).filter(Boolean).length;
    callback(null, { words, upper: text.toUpperCase(), instance: INSTANCE });
  },
  async Generate(call) {
    const { prompt, max_tokens, interval_ms } = call.request;
    const words = (prompt || 'hello from pier').split(/\s+/).filter(Boolean);
    const n = max_tokens > 0 ? max_tokens : 10;
    for (let index = 0; index < n && !call.cancelled; index++) {
      call.write({ index, text: words[index % words.length] });
      if (interval_ms > 0) await sleep(interval_ms);
    }
    if (!call.cancelled) call.end();
  },
  Chat(call) {
    call.on('data', (m) => call.write({ text: `echo: ${m.text}`, instance: INSTANCE }));
    call.on('end', () => call.end());
  },
};

const SERVING = new Set(['', 'pier.examples.TextModel']);
const health = {
  Check(call, callback) {
    const { service } = call.request;
    if (!SERVING.has(service)) {
      callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${service}` });
      return;
    }
    callback(null, { status: draining ? 'NOT_SERVING' : 'SERVING' });
  },
};

const server = new grpc.Server();
server.addService(proto.pier.examples.TextModel.service, textModel);
server.addService(proto.grpc.health.v1.Health.service, health);
server.bindAsync(`127.0.0.1:${PORT}`, grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    console.error(err);
    process.exit(1);
  }
  console.log(`grpc-node ${INSTANCE} listening on 127.0.0.1:${port}`);
});

function stop() {
  if (draining) return;
  draining = true;
  const force = setTimeout(() => {
    server.forceShutdown();
    process.exit(0);
  }, DRAIN_MS);
  server.tryShutdown(() => {
    clearTimeout(force);
    process.exit(0);
  });
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
