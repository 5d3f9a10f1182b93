/**
 * Admin-token check for the control API: `Authorization: Bearer <token>` or the
 * raw token (as the EAS SDKs send service tokens). Both sides are hashed first so
 * the comparison takes the same time whatever the length or content.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export type AuthOutcome = { ok: true } | { ok: false; message: string };

export function createTokenCheck(adminToken: string): (headers: IncomingHttpHeaders) => AuthOutcome {
  if (typeof adminToken !== 'string' || adminToken.length === 0) {
    throw new TypeError('createApiServer: adminToken must be a non-empty string');
  }
  const expected = digest(adminToken);
  return (headers) => {
    const header = headers.authorization;
    if (header === undefined || header.trim() === '') {
      return { ok: false, message: 'missing admin token: send "Authorization: Bearer <token>"' };
    }
    const token = tokenFrom(header);
    if (!timingSafeEqual(digest(token), expected)) return { ok: false, message: 'wrong admin token' };
    return { ok: true };
  };
}

function tokenFrom(header: string): string {
  const trimmed = header.trim();
  const bearer = /^bearer\s+(.+)$/i.exec(trimmed);
  return bearer ? bearer[1]!.trim() : trimmed;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export const WWW_AUTHENTICATE = 'Bearer realm="pier-control"';
