/**
 * An instance's log: one append-mode file that the instance's processes write to
 * directly (so they outlive Pier), rotated by copy-then-truncate as logrotate's
 * `copytruncate` does. Truncating works because every writer holds the file
 * with O_APPEND: its next write lands at the new end, not at its old offset.
 */

import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  fchmodSync,
  existsSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
} from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';

const LOG_NAME = 'instance.log';

export function logFilePath(logDir: string): string {
  return join(logDir, LOG_NAME);
}

/**
 * An app's output can hold anything (tokens it was given, request bodies it
 * logs), so logs are readable by Pier's user only: directories 0700, files 0600
 * (issue 12). `mode` applies only to what is created; older ones are tightened.
 */
export const LOG_DIR_MODE = 0o700;
export const LOG_FILE_MODE = 0o600;

/** Creates the instance's log directory (and missing parents) readable by Pier's user only. */
export function ensureLogDir(logDir: string): void {
  mkdirSync(logDir, { recursive: true, mode: LOG_DIR_MODE });
  chmodSync(logDir, LOG_DIR_MODE);
}

/** Opens the live log for appending (creating the directory and file); the caller closes the fd. */
export function openLogForAppend(logDir: string): number {
  ensureLogDir(logDir);
  const fd = openSync(logFilePath(logDir), 'a', LOG_FILE_MODE);
  fchmodSync(fd, LOG_FILE_MODE);
  return fd;
}

/** Appends a line written by Pier itself (marked so users can tell it from the app's output). */
export function appendPierLine(logDir: string, text: string): void {
  try {
    appendFileSync(logFilePath(logDir), `[pier] ${text}\n`, { mode: LOG_FILE_MODE });
  } catch {
    // The log is best effort; a missing directory must not break supervision.
  }
}

/**
 * When the live file is over `maxBytes`: shift `.1`→`.2`… (dropping the oldest beyond
 * `keep`), copy the live file to `.1`, truncate the live file. Returns true if it rotated.
 */
export function rotateLogIfNeeded(logDir: string, maxBytes: number, keep: number): boolean {
  const live = logFilePath(logDir);
  let size: number;
  try {
    size = statSync(live).size;
  } catch {
    return false;
  }
  if (size <= maxBytes) return false;
  try {
    if (keep > 0) {
      rmSync(`${live}.${keep}`, { force: true });
      for (let i = keep - 1; i >= 1; i--) {
        if (existsSync(`${live}.${i}`)) renameSync(`${live}.${i}`, `${live}.${i + 1}`);
      }
      copyFileSync(live, `${live}.1`);
      chmodSync(`${live}.1`, LOG_FILE_MODE);
    }
    // Truncate in place: writers hold the file with O_APPEND, so their next write lands at the new end.
    truncateSync(live, 0);
    return true;
  } catch {
    return false;
  }
}

/** Reads the last `lines` lines of the log (reaching into `instance.log.1` after a fresh rotation). */
export async function readLogTail(logDir: string, lines: number): Promise<string> {
  if (lines <= 0) return '';
  const live = logFilePath(logDir);
  const fromLive = await tailOfFile(live, lines);
  const have = countLines(fromLive);
  if (have >= lines) return fromLive;
  const older = await tailOfFile(`${live}.1`, lines - have);
  return older + fromLive;
}

function countLines(text: string): number {
  if (text === '') return 0;
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return text.endsWith('\n') ? n : n + 1;
}

/** The last `lines` lines of one file, read backwards in chunks; '' when missing. */
async function tailOfFile(path: string, lines: number): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await handle.stat();
    const chunkSize = 64 * 1024;
    const chunks: Buffer[] = [];
    let pos = size;
    let newlines = 0;
    // A trailing newline ends the last line; it does not start a new one.
    const need = lines + 1;
    while (pos > 0 && newlines < need) {
      const len = Math.min(chunkSize, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      await handle.read(buf, 0, len, pos);
      chunks.unshift(buf);
      for (let i = 0; i < len; i++) if (buf[i] === 10) newlines++;
    }
    let text = Buffer.concat(chunks).toString('utf8');
    const parts = text.split('\n');
    const trailing = text.endsWith('\n');
    if (trailing) parts.pop();
    text = parts.slice(-lines).join('\n') + (trailing ? '\n' : '');
    return text;
  } finally {
    await handle.close();
  }
}

/**
 * Calls `onChunk` with text appended to the log until `signal` aborts (like `tail -F`):
 * polls every 200 ms, follows truncation by rotation (reading the rest of what it had
 * not yet seen from `instance.log.1`). From the start of the live file unless `fromEnd`.
 */
export async function followLog(
  logDir: string,
  onChunk: (text: string) => void,
  signal: AbortSignal,
  opts: { fromEnd?: boolean; pollMs?: number } = {},
): Promise<void> {
  const live = logFilePath(logDir);
  const decoder = new StringDecoder('utf8');
  const pollMs = opts.pollMs ?? 200;
  let offset = 0;
  if (opts.fromEnd) offset = (await stat(live).catch(() => null))?.size ?? 0;
  while (!signal.aborted) {
    const size = (await stat(live).catch(() => null))?.size ?? 0;
    if (size < offset) {
      // Rotated: what we had not read yet was copied to `.1` just before the truncate.
      const rotated = await readRange(`${live}.1`, offset, Number.POSITIVE_INFINITY);
      if (rotated.length > 0 && !signal.aborted) onChunk(decoder.write(rotated));
      offset = 0;
    }
    if (size > offset) {
      const buf = await readRange(live, offset, size);
      offset += buf.length;
      const text = decoder.write(buf);
      if (text.length > 0 && !signal.aborted) onChunk(text);
    }
    try {
      await sleep(pollMs, undefined, { signal });
    } catch {
      break;
    }
  }
}

async function readRange(path: string, start: number, end: number): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const size = (await handle.stat()).size;
    const stop = Math.min(end, size);
    if (stop <= start) return Buffer.alloc(0);
    const buf = Buffer.alloc(stop - start);
    const { bytesRead } = await handle.read(buf, 0, buf.length, start);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
