import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, unlink, type WriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { md5Matches } from './auth.js';

/**
 * The body of a request signed with Content-MD5 must be checked before the
 * instance sees a byte of it (a forged body must never be acted on), so it is
 * held until its last byte is hashed. Up to `memoryBytes` (the 1 MiB replay
 * buffer) it stays in memory; a larger one is spooled to a private temporary
 * file while it is hashed, then streamed to the instance from there, so memory
 * does not grow with body size × concurrent uploads. Spooled files are unlinked
 * when their request ends and the directory when the gateway closes.
 */

/** A verified body on disk; every attempt (failover) reads it again from the start. */
export class SpooledBody {
  private readonly readers = new Set<Readable>();
  private disposed = false;

  constructor(
    readonly path: string,
    readonly length: number,
  ) {}

  open(): Readable {
    const r = createReadStream(this.path);
    this.readers.add(r);
    r.once('close', () => this.readers.delete(r));
    return r;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const r of this.readers) r.destroy();
    unlink(this.path, () => undefined);
  }
}

export type SignedBody = { kind: 'ok'; body: Buffer | SpooledBody } | { kind: 'too-large' } | { kind: 'mismatch' };

/** One directory of spooled bodies per gateway, made on first use. */
export class BodySpool {
  private dir: string | undefined;
  private next = 0;

  /** `parent`: where the private directory is made (the system's temporary directory by default). */
  constructor(private readonly parent: string = tmpdir()) {}

  file(): string {
    this.dir ??= mkdtempSync(join(this.parent, 'pier-gateway-bodies-'));
    return join(this.dir, `body-${process.pid}-${++this.next}`);
  }

  close(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

export interface SignedBodyOptions {
  contentMd5: string;
  maxBytes: number;
  memoryBytes: number;
  spool: BodySpool;
}

/** Reads, hashes and holds a signed body; rejects when the client goes away first. */
export function readSignedBody(req: IncomingMessage, opts: SignedBodyOptions): Promise<SignedBody> {
  return new Promise((resolve, reject) => {
    const hash = createHash('md5');
    let kept: Buffer[] | null = [];
    let size = 0;
    let file: WriteStream | undefined;
    let path = '';
    let settled = false;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onClose);
    };
    const fail = (result: SignedBody | Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      kept = null;
      if (file) {
        file.destroy();
        unlink(path, () => undefined);
      }
      if (result instanceof Error) reject(result);
      else {
        req.pause();
        resolve(result);
      }
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > opts.maxBytes) {
        fail({ kind: 'too-large' });
        return;
      }
      hash.update(chunk);
      if (kept) {
        kept.push(chunk);
        if (size <= opts.memoryBytes) return;
        path = opts.spool.file();
        file = createWriteStream(path, { flags: 'wx', mode: 0o600 });
        file.on('error', (err) => fail(err));
        for (const c of kept) file.write(c);
        kept = null;
        if (file.writableNeedDrain) pauseUntilDrain(file);
        return;
      }
      if (!file!.write(chunk)) pauseUntilDrain(file!);
    };
    const pauseUntilDrain = (f: WriteStream) => {
      req.pause();
      f.once('drain', () => {
        if (!settled) req.resume();
      });
    };
    const onEnd = () => {
      cleanup();
      if (!md5Matches(hash.digest('hex'), opts.contentMd5)) {
        fail({ kind: 'mismatch' });
        return;
      }
      if (!file) {
        settled = true;
        resolve({ kind: 'ok', body: Buffer.concat(kept!, size) });
        return;
      }
      const f = file;
      f.end(() => {
        if (settled) return;
        settled = true;
        resolve({ kind: 'ok', body: new SpooledBody(path, size) });
      });
    };
    const onGone = () => fail(new Error('client went away'));
    const onClose = () => {
      if (!req.complete) onGone();
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onGone);
    req.once('close', onClose);
  });
}
