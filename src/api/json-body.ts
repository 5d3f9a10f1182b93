/**
 * Reads a request body as JSON with a size limit: Content-Length is checked up
 * front and the bytes are counted while reading, so a lying or chunked client
 * cannot push more than the limit into memory.
 */

import type { IncomingMessage } from 'node:http';
import { PierError } from '../errors.js';
import { lineColumn, MAX_DEPTH, scanJson } from '../spec/index.js';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const text = await readBody(req, limit);
  if (text.trim() === '') throw new PierError('BAD_REQUEST', 'request body is empty; send a JSON document');
  return parseJson(text);
}

/**
 * JSON.parse with the position of the first error as line and column (1-based).
 * A document nested more than MAX_DEPTH levels is refused before it is parsed:
 * what handles it next (validation, merges, the store's JSON.stringify) recurses.
 */
export function parseJson(text: string): unknown {
  const deep = tooDeep(text);
  if (deep) {
    const scan = scanJson(text);
    if (scan.error?.path !== undefined) {
      const { line, column } = lineColumn(text, scan.error.offset);
      throw new PierError('BAD_REQUEST', `${scan.error.message} (line ${line}, column ${column})`, {
        errors: [{ path: scan.error.path, message: scan.error.message }],
      });
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    // The spec's scanner says where JSON.parse stopped (Node 20's messages do not always).
    const scan = scanJson(text);
    const offset = scan.error?.offset ?? scan.trailingCommas[0] ?? text.length;
    const { line, column } = lineColumn(text, offset);
    throw new PierError('BAD_REQUEST', `invalid JSON at line ${line}, column ${column}: ${shortReason(reason)}`, {
      errors: [{ path: `line ${line}, column ${column}`, message: shortReason(reason) }],
    });
  }
}

/** A cheap pre-check (brackets outside strings), so ordinary bodies are scanned only by JSON.parse. */
function tooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (inString) {
      if (c === 0x5c) k++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_DEPTH) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

function shortReason(message: string): string {
  // V8 quotes the whole input in some messages; keep only the part before it.
  const cut = message.indexOf(', "');
  return cut > 0 ? message.slice(0, cut) : message;
}
function tooLarge(limit: number): PierError {
  return new PierError('BODY_TOO_LARGE', `request body is larger than the limit of ${limit} bytes`);
}
