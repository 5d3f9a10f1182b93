/**
 * The same floor as bare-proxy.ts with undici's Pool on the upstream side
 * (`dispatch` with a raw-header handler, pipelining 1, keep-alive): what an
 * undici-based node proxy can reach with no features at all.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool } from 'undici';

const [backendPort, listenPort] = [Number(process.argv[2]), Number(process.argv[3])];
const pool = new Pool(`http://127.0.0.1:${backendPort}`, { connections: 256, pipelining: 1 });

class Forward {
  constructor(private readonly res: ServerResponse) {}
  onConnect(): void {}
  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    const out: string[] = [];
    for (let i = 0; i < raw.length; i += 2) out.push(raw[i]!.toString('latin1'), raw[i + 1]!.toString('latin1'));
    this.res.writeHead(status, out as unknown as Record<string, string>);
    this.res.on('drain', resume);
    return true;
  }
  onData(chunk: Buffer): boolean {
    return this.res.write(chunk);
  }
  onComplete(): void {
    this.res.end();
  }
  onError(): void {
    this.res.destroy();
  }
}

createServer((req: IncomingMessage, res: ServerResponse) => {
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  pool.dispatch(
    { path: req.url ?? '/', method: req.method ?? 'GET', headers: req.rawHeaders, body: hasBody ? req : null },
    new Forward(res),
  );
}).listen(listenPort, '127.0.0.1', () => console.log(listenPort));
process.on('SIGTERM', () => process.exit(0));
