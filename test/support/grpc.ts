import {
  type Client,
  credentials,
  type handleBidiStreamingCall,
  type handleClientStreamingCall,
  type handleServerStreamingCall,
  type handleUnaryCall,
  makeGenericClientConstructor,
  Metadata,
  Server,
  ServerCredentials,
  type ServiceDefinition,
  status,
} from '@grpc/grpc-js';
import { afterEach } from 'vitest';
import type { Harness } from './gateway.js';
import type { Endpoint } from '../../src/gateway/types.js';

/** Shared by the gRPC tests: a real @grpc/grpc-js backend and client, JSON messages. */

export type Msg = Record<string, unknown>;

const json = {
  requestSerialize: (v: Msg) => Buffer.from(JSON.stringify(v)),
  requestDeserialize: (b: Buffer) => JSON.parse(b.toString()) as Msg,
  responseSerialize: (v: Msg) => Buffer.from(JSON.stringify(v)),
  responseDeserialize: (b: Buffer) => JSON.parse(b.toString()) as Msg,
};

export const ECHO: ServiceDefinition = {
  unary: { path: '/pier.test.Echo/Unary', requestStream: false, responseStream: false, ...json },
  serverStream: { path: '/pier.test.Echo/ServerStream', requestStream: false, responseStream: true, ...json },
  clientStream: { path: '/pier.test.Echo/ClientStream', requestStream: true, responseStream: false, ...json },
  bidi: { path: '/pier.test.Echo/Bidi', requestStream: true, responseStream: true, ...json },
};

export interface GrpcBackend {
  port: number;
  name: string;
  /** Calls the backend saw cancelled. */
  cancelled: number;
  /** Calls the backend has begun. */
  calls: number;
  endpoint(id?: string): Endpoint;
  close(): Promise<void>;
  /** Drops every connection at once (an instance that dies). */
  kill(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Unary: `{say}` → `{said, instance, seen}` (seen = selected request metadata) with a
 * `x-trailer` trailer; `{fail: msg}` → INVALID_ARGUMENT; `{hang: true}` never answers.
 * ServerStream: `{count, everyMs}` → count messages `{i, instance}`. ClientStream: sum
 * of `{n}`. Bidi: echoes each message with the instance name.
 */
export async function startGrpcBackend(name: string): Promise<GrpcBackend> {
  const server = new Server();
  const backend: GrpcBackend = {
    port: 0,
    name,
    cancelled: 0,
    calls: 0,
    endpoint: (id = name) => ({ instanceId: id, host: '127.0.0.1', port: backend.port, revision: 1 }),
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())).then(() => server.forceShutdown()),
    kill: () => server.forceShutdown(),
  };
  const unary: handleUnaryCall<Msg, Msg> = (call, cb) => {
    backend.calls++;
    call.on('cancelled', () => backend.cancelled++);
    const req = call.request;
    if (typeof req.fail === 'string') {
      const md = new Metadata();
      md.set('x-why', 'asked-to-fail');
      cb({ code: status.INVALID_ARGUMENT, details: req.fail, metadata: md });
      return;
    }
    if (req.hang) return;
    const seen: Record<string, unknown> = {};
    const deadline = call.getDeadline();
    const at = deadline instanceof Date ? deadline.getTime() : deadline;
    if (Number.isFinite(at)) seen.deadlineMs = at - Date.now();
    for (const key of ['x-custom', 'x-bin-bin', 'authorization', 'x-forwarded-for']) {
      const v = call.metadata.get(key);
      if (v.length > 0) seen[key] = Buffer.isBuffer(v[0]) ? (v[0] as Buffer).toString('hex') : v[0];
    }
    const header = new Metadata();
    header.set('x-header', 'h-' + name);
    call.sendMetadata(header);
    const trailer = new Metadata();
    trailer.set('x-trailer', 't-' + name);
    const reply = () => cb(null, { said: req.say, instance: name, seen }, trailer);
    if (typeof req.delayMs === 'number') setTimeout(reply, req.delayMs);
    else reply();
  };
  const serverStream: handleServerStreamingCall<Msg, Msg> = async (call) => {
    backend.calls++;
    call.on('cancelled', () => backend.cancelled++);
    const count = Number(call.request.count ?? 3);
    const everyMs = Number(call.request.everyMs ?? 0);
    for (let i = 0; i < count; i++) {
      if (call.cancelled) return;
      call.write({ i, instance: name });
      if (everyMs > 0) await sleep(everyMs);
    }
    call.end();
  };
  const clientStream: handleClientStreamingCall<Msg, Msg> = (call, cb) => {
    backend.calls++;
    call.on('cancelled', () => backend.cancelled++);
    let sum = 0;
    let n = 0;
    call.on('data', (m: Msg) => {
      sum += Number(m.n);
      n++;
    });
    call.on('end', () => cb(null, { sum, n, instance: name }));
  };
  const bidi: handleBidiStreamingCall<Msg, Msg> = (call) => {
    backend.calls++;
    call.on('cancelled', () => backend.cancelled++);
    call.on('data', (m: Msg) => call.write({ ...m, instance: name }));
    call.on('end', () => call.end());
  };
  server.addService(ECHO, { unary, serverStream, clientStream, bidi });
  backend.port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );
  return backend;
}

export type EchoClient = Client & Record<string, (...args: unknown[]) => unknown>;

const EchoClientCtor = makeGenericClientConstructor(ECHO, 'Echo');

export function echoClient(port: number, authority?: string, rootCert?: Buffer): EchoClient {
  const options = authority ? { 'grpc.default_authority': authority } : {};
  const creds = rootCert ? credentials.createSsl(rootCert) : credentials.createInsecure();
  const host = rootCert ? 'localhost' : '127.0.0.1';
  return new EchoClientCtor(`${host}:${port}`, creds, options) as unknown as EchoClient;
}

export function metadata(entries: Record<string, string>): Metadata {
  const md = new Metadata();
  for (const [k, v] of Object.entries(entries)) md.set(k, v);
  return md;
}

export interface UnaryResult {
  err: (Error & { code?: number; details?: string; metadata?: Metadata }) | null;
  value?: Msg;
  header?: Metadata;
  trailer?: Metadata;
}

/** A unary call that resolves with the error or value, plus header and trailer metadata. */
export function unary(client: EchoClient, req: Msg, md: Metadata, deadlineMs?: number): Promise<UnaryResult> {
  return new Promise((resolve) => {
    const out: UnaryResult = { err: null };
    const options = deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs };
    const call = client.unary(req, md, options, (err: UnaryResult['err'], value?: Msg) => {
      out.err = err;
      out.value = value;
    }) as import('@grpc/grpc-js').ClientUnaryCall;
    call.on('metadata', (m: Metadata) => {
      out.header = m;
    });
    call.on('status', (s: { metadata: Metadata }) => {
      out.trailer = s.metadata;
      // The callback runs before 'status'; resolve once both are in.
      setImmediate(() => resolve(out));
    });
  });
}

/**
 * Closes what a test started, after each test: its clients, then the gateway,
 * then the backends. Push backends and clients; pass the gateway through `track`.
 */
export function closeAfterEach(): {
  backends: GrpcBackend[];
  clients: EchoClient[];
  track(h: Harness): Harness;
} {
  const backends: GrpcBackend[] = [];
  const clients: EchoClient[] = [];
  let gateway: Harness | undefined;
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await gateway?.gw.close();
    gateway = undefined;
    for (const b of backends.splice(0)) await b.close();
  });
  return {
    backends,
    clients,
    track(h) {
      gateway = h;
      return h;
    },
  };
}
