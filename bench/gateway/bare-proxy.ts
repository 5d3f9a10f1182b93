/**
 * The floor of any node:http proxy: forward every request to the backend with a
 * keep-alive Agent, nothing else (no routing, auth, limits, metrics). The gap
 * between this row and nginx is node's HTTP cost; the gap to Pier is Pier's own.
 */
import { Agent, createServer, request } from 'node:http';

const [backendPort, listenPort] = [Number(process.argv[2]), Number(process.argv[3])];
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
createServer((req, res) => {
  const up = request(
    { agent, host: '127.0.0.1', port: backendPort, method: req.method, path: req.url, headers: req.headers },
    (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.rawHeaders as unknown as Record<string, string>);
      upRes.pipe(res);
    },
  );
  up.on('error', () => res.destroy());
  req.pipe(up);
}).listen(listenPort, '127.0.0.1', () => console.log(listenPort));
process.on('SIGTERM', () => process.exit(0));
