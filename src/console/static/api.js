// The control API with the admin token, which lives in sessionStorage only:
// it goes away with the tab and never appears in a URL.

const KEY = 'pier.adminToken';

export const session = {
  token: () => sessionStorage.getItem(KEY),
  set: (token) => sessionStorage.setItem(KEY, token),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
    this.errors = body?.errors ?? [];
  }
}

function headers(extra = {}) {
  const token = session.token();
  return { ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra };
}

async function check(res) {
  if (res.ok) return res;
  let body;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  if (res.status === 401) {
    session.clear();
    window.dispatchEvent(new Event('pier:signed-out'));
  }
  throw new ApiError(res.status, body);
}

export async function api(method, path, body, signal) {
  const res = await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  await check(res);
  return res.status === 204 ? undefined : res.json();
}

/** Tries a token without keeping it. */
export async function tryToken(token) {
  const res = await fetch('/api/v1/services', { headers: { authorization: `Bearer ${token}` } });
  return res.ok;
}

async function read(path, signal, onText) {
  const res = await check(await fetch(path, { headers: headers(), signal }));
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      onText(value);
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}

/** A `?watch=true` NDJSON stream: onValue per line until the signal aborts. */
export function watch(path, onValue, signal) {
  let buffered = '';
  const sep = path.includes('?') ? '&' : '?';
  return read(`${path}${sep}watch=true`, signal, (text) => {
    buffered += text;
    const lines = buffered.split('\n');
    buffered = lines.pop();
    for (const line of lines) if (line.trim()) onValue(JSON.parse(line));
  });
}

/** Follows a text stream (logs?follow=1). */
export function follow(path, onText, signal) {
  return read(path, signal, onText);
}

export const svcPath = (name) => `/api/v1/services/${encodeURIComponent(name)}`;

/** watch() again after a dropped stream (server restart), until aborted or the resource is gone. */
export async function keepWatching(path, onValue, signal, onGone) {
  while (!signal.aborted) {
    try {
      await watch(path, onValue, signal);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 401)) {
        onGone?.(err);
        return;
      }
    }
    if (signal.aborted) return;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}
