import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { sha256 } from './auth.js';

/**
 * Web-app mode (`enable_webservice`): `/web/<name>/?token=<token>` once sets an
 * HttpOnly cookie holding a value derived from the token (never the token itself),
 * then redirects to the same URL without `token`. Later requests carry the cookie.
 */

export function cookieName(service: string): string {
  return 'pier_' + service;
}

export function cookieValue(service: string, token: string): string {
  return createHmac('sha256', token)
    .update('pier-web:' + service)
    .digest('base64url');
}

export function setCookieHeader(service: string, token: string): string {
  return `${cookieName(service)}=${cookieValue(service, token)}; Path=/web/${service}/; HttpOnly; SameSite=Lax`;
}

export function hasValidCookie(headers: IncomingHttpHeaders, service: string, token: string): boolean {
  const cookie = headers.cookie;
  if (!cookie) return false;
  const name = cookieName(service) + '=';
  for (const part of cookie.split(';')) {
    const p = part.trim();
    if (p.startsWith(name)) {
      if (timingSafeEqual(sha256(p.slice(name.length)), sha256(cookieValue(service, token)))) return true;
    }
  }
  return false;
}

/** Splits `token` out of a raw query string; `rest` is the query without it. */
export function takeToken(query: string): { token: string | undefined; rest: string } {
  if (query === '') return { token: undefined, rest: '' };
  let token: string | undefined;
  const kept: string[] = [];
  for (const pair of query.split('&')) {
    if (pair.startsWith('token=')) token = decode(pair.slice(6));
    else if (pair !== '') kept.push(pair);
  }
  return { token, rest: kept.join('&') };
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    return '';
  }
}
