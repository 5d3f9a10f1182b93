/**
 * A lower floor than bare-undici-proxy.ts: no node:http on either side. Raw `net`
 * sockets parsed with node's own llhttp binding (`HTTPParser` from `_http_common`,
 * the parser node:http runs on), a keep-alive pool of upstream sockets, each answer
 * written to the client in one corked write. No routing, auth, limits, metrics,
 * chunked bodies, pipelining or error answers: what a Node proxy costs per request
 * with none of node:http's request/response objects and streams, to tell how much
 * of the gap to nginx a different HTTP core in Node could close.
 */
import { createRequire } from 'node:module';
import { connect, createServer, type Socket } from 'node:net';

type OnHeaders = (
  major: number,
  minor: number,
  headers: string[],
  method: number,
  url: string,
  status: number,
  message: string,
) => void;
interface Parser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): unknown;
  [key: number]: unknown;
}
const { HTTPParser, methods } = createRequire(import.meta.url)('_http_common') as {
  HTTPParser: { new (): Parser; REQUEST: number; RESPONSE: number } & Record<string, number>;
  methods: string[];
};
const ON_HEADERS = HTTPParser.kOnHeadersComplete!;
const ON_BODY = HTTPParser.kOnBody!;
const ON_COMPLETE = HTTPParser.kOnMessageComplete!;

const [backendPort, listenPort] = [Number(process.argv[2]), Number(process.argv[3])];

/** Name lengths worth a lowercase compare: connection, keep-alive, authorization. */
const dropped = (name: string, drop: readonly string[]) =>
  (name.length === 10 || name.length === 13) && drop.includes(name.toLowerCase());
const HOP = ['connection', 'keep-alive'];
const HOP_AND_AUTH = [...HOP, 'authorization'];

function head(first: string, headers: string[], drop: readonly string[], extra: string): string {
  let out = first;
  for (let i = 0; i < headers.length; i += 2) {
    if (!dropped(headers[i]!, drop)) out += `${headers[i]}: ${headers[i + 1]}\r\n`;
  }
  return `${out}${extra}\r\n`;
}

class Upstream {
  readonly socket: Socket;
  client: Socket | undefined;
  private head = '';
  private body: Buffer[] = [];

  constructor(private readonly idle: Upstream[]) {
    this.socket = connect(backendPort, '127.0.0.1');
    this.socket.setNoDelay(true);
    const parser = new HTTPParser();
    parser.initialize(HTTPParser.RESPONSE, {}, 0, 0);
    parser[ON_HEADERS] = ((_maj, _min, headers, _m, _u, status, message) => {
      this.head = head(`HTTP/1.1 ${status} ${message}\r\n`, headers, HOP, '');
    }) satisfies OnHeaders;
    parser[ON_BODY] = (chunk: Buffer) => this.body.push(Buffer.from(chunk));
    parser[ON_COMPLETE] = () => this.answered();
    this.socket.on('data', (data: Buffer) => parser.execute(data));
    this.socket.on('error', () => this.client?.destroy());
  }

  send(client: Socket, request: string, body: Buffer[]): void {
    this.client = client;
    this.socket.cork();
    this.socket.write(request, 'latin1');
    for (const chunk of body) this.socket.write(chunk);
    this.socket.uncork();
  }

  private answered(): void {
    const client = this.client!;
    this.client = undefined;
    client.cork();
    client.write(this.head, 'latin1');
    for (const chunk of this.body) client.write(chunk);
    client.uncork();
    this.body = [];
    this.idle.push(this);
  }
}

const idle: Upstream[] = [];
createServer((client) => {
  client.setNoDelay(true);
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.REQUEST, {}, 0, 0);
  let request = '';
  let body: Buffer[] = [];
  parser[ON_HEADERS] = ((_maj, _min, headers, method, url) => {
    request = head(`${methods[method]} ${url} HTTP/1.1\r\n`, headers, HOP_AND_AUTH, 'x-forwarded-for: 127.0.0.1\r\n');
    body = [];
  }) satisfies OnHeaders;
  parser[ON_BODY] = (chunk: Buffer) => body.push(Buffer.from(chunk));
  parser[ON_COMPLETE] = () => (idle.pop() ?? new Upstream(idle)).send(client, request, body);
  client.on('data', (data: Buffer) => parser.execute(data));
  client.on('error', () => {});
}).listen(listenPort, '127.0.0.1', () => console.log(listenPort));
process.on('SIGTERM', () => process.exit(0));
