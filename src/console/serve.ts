/**
 * The web console's files, served by the control plane at `/` and
 * `/console/<file>` without a token (they hold no data; every API call the
 * page makes carries the admin token the user typed in). Build-free: plain ES
 * modules and CSS from ./static, read once and kept in memory. A strict
 * Content-Security-Policy keeps the page to its own origin: no inline script,
 * no other host (https://developer.mozilla.org/docs/Web/HTTP/CSP).
 */

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PierError } from '../errors.js';
import type { Reply, RouteContext } from '../api/router.js';

const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface StaticFile {
  body: Buffer;
  type: string;
}

/** Every file of ./static by name; names are fixed at start, so a request can only pick one of these. */
export function loadConsoleFiles(dir = STATIC_DIR): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[path.extname(name)];
    if (type) files.set(name, { body: readFileSync(path.join(dir, name)), type });
  }
  return files;
}

export function serveConsoleFile(ctx: RouteContext, files: Map<string, StaticFile>, name: string): Reply {
  const file = files.get(name);
  if (!file) throw new PierError('ROUTE_NOT_FOUND', `the console has no file "${name}"`);
  ctx.res.writeHead(200, {
    'content-type': file.type,
    'content-length': file.body.length,
    'content-security-policy': CONSOLE_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : file.body);
  return { streamed: true };
}
