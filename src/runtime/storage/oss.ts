/**
 * `storage[].oss` on the local platform: the prefix is copied from an
 * S3-compatible endpoint (Pier's `oss` configuration) into `<home>/oss/<bucket>/<prefix>`
 * before the instance starts. Every start syncs again (so a restart refreshes a
 * read-only mount): changed objects (by ETag) are downloaded, objects gone from the
 * bucket are deleted locally. Writes made by the app are not uploaded.
 */

import { createWriteStream, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Clock } from '../../clock.js';
import type { OssConfig } from '../types.js';
import { objectUrl, signGet } from './sigv4.js';

/** Beside the cache dir (not in it, so the app does not see it): key → ETag of what was downloaded. */
const manifestOf = (dir: string) => `${dir}.pier-oss.json`;

export interface OssLocation {
  bucket: string;
  prefix: string;
}

/** `oss://bucket/some/prefix/` → {bucket, prefix: 'some/prefix/'}; null when malformed. */
export function parseOssPath(path: string): OssLocation | null {
  const m = /^oss:\/\/([^/]+)\/?(.*)$/.exec(path.trim());
  if (!m) return null;
  return { bucket: m[1], prefix: m[2] };
}

export function ossCacheDir(home: string, loc: OssLocation): string {
  return join(home, 'oss', loc.bucket, ...loc.prefix.split('/').filter((p) => p !== '' && p !== '..'));
}

interface S3Object {
  key: string;
  etag: string;
}

const xmlValues = (xml: string, tag: string) =>
  [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => unescapeXml(m[1]));
const unescapeXml = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

async function get(url: URL, cfg: OssConfig, clock: Clock): Promise<Response> {
  const headers =
    cfg.accessKeyId && cfg.secretAccessKey
      ? signGet({
          url,
          accessKeyId: cfg.accessKeyId,
          secretAccessKey: cfg.secretAccessKey,
          region: cfg.region ?? 'us-east-1',
          now: clock.now(),
        })
      : {};
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(300_000) });
  if (!res.ok) {
    const body = (await res.text().catch(() => '')).slice(0, 300);
    const code = xmlValues(body, 'Code')[0] ?? '';
    throw new Error(`GET ${url.pathname}${url.search}: HTTP ${res.status}${code ? ` ${code}` : ''}`);
  }
  return res;
}

async function listObjects(cfg: OssConfig, loc: OssLocation, clock: Clock): Promise<S3Object[]> {
  const objects: S3Object[] = [];
  let token: string | undefined;
  do {
    const url = objectUrl(cfg.endpoint, loc.bucket, '');
    url.searchParams.set('list-type', '2');
    url.searchParams.set('prefix', loc.prefix);
    if (token) url.searchParams.set('continuation-token', token);
    const xml = await (await get(url, cfg, clock)).text();
    for (const block of xmlValues(xml, 'Contents')) {
      const key = xmlValues(block, 'Key')[0];
      if (key && !key.endsWith('/')) objects.push({ key, etag: xmlValues(block, 'ETag')[0] ?? '' });
    }
    token = xmlValues(xml, 'IsTruncated')[0] === 'true' ? xmlValues(xml, 'NextContinuationToken')[0] : undefined;
  } while (token);
  return objects;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** Syncs the prefix into `dir`; returns how many objects were downloaded. Throws with a user-facing message. */
export async function syncOss(cfg: OssConfig, loc: OssLocation, dir: string, clock: Clock): Promise<number> {
  mkdirSync(dir, { recursive: true });
  let manifest: Record<string, string> = {};
  try {
    manifest = JSON.parse(readFileSync(manifestOf(dir), 'utf8')) as Record<string, string>;
  } catch {
    // first sync
  }
  const objects = await listObjects(cfg, loc, clock);
  const wanted = new Set<string>();
  let downloaded = 0;
  for (const obj of objects) {
    const rel = obj.key.slice(loc.prefix.length).replace(/^\/+/, '');
    const target = resolve(dir, rel);
    if (rel === '' || !target.startsWith(dir + sep)) continue; // never write outside the cache dir
    wanted.add(target);
    if (manifest[rel] === obj.etag && obj.etag !== '') continue;
    mkdirSync(dirname(target), { recursive: true });
    const res = await get(objectUrl(cfg.endpoint, loc.bucket, obj.key), cfg, clock);
    const tmp = `${target}.pier-part`;
    await pipeline(Readable.fromWeb(res.body as never), createWriteStream(tmp));
    renameSync(tmp, target);
    manifest[rel] = obj.etag;
    downloaded++;
  }
  for (const file of await listFiles(dir)) {
    if (wanted.has(file) || file.endsWith('.pier-part')) continue;
    rmSync(file, { force: true });
    delete manifest[relative(dir, file)];
  }
  writeFileSync(manifestOf(dir), JSON.stringify(manifest));
  return downloaded;
}
