/**
 * A backend for the tail benchmark: 200 with a small JSON body, after `delayMs`
 * (argv[3], default 0). One process per instance, so a slow one delays only itself.
 * `GET /__count` answers how many requests it served (so the script can show
 * each balancer's share of traffic to the slow instance).
 */
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const delayMs = Number(process.argv[3] ?? 0);
const body = Buffer.from('{"result":[0.12,0.88],"model":"bench"}');
let served = 0;
const server = createServer((req, res) => {
  if (req.url === '/__count') {
    res.end(String(served));
    return;
  }
  served++;
  req.resume();
  req.on('end', () => {
    const answer = () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
