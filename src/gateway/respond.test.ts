import { describe, expect, it } from 'vitest';
import { copyResponseHeaders } from './respond.js';

const raw = (...pairs: string[]) => pairs.map((s) => Buffer.from(s, 'latin1'));

describe('copyResponseHeaders', () => {
  it('drops hop-by-hop and Proxy-* headers, keeps the rest as sent, returns Content-Length', () => {
    const out = ['x-pier-instance', 'i1'];
    const length = copyResponseHeaders(
      raw(
        'Content-Type',
        'application/json',
        'Connection',
        'keep-alive',
        'Keep-Alive',
        'timeout=5',
        'Content-Length',
        '38',
        'Proxy-Foo',
        '1',
        'TE',
        'trailers',
        'Transfer-Encoding',
        'chunked',
        'X-Model',
        'm',
      ),
      out,
    );
    expect(length).toBe(38);
    expect(out).toEqual([
      'x-pier-instance',
      'i1',
      'Content-Type',
      'application/json',
      'Content-Length',
      '38',
      'X-Model',
      'm',
    ]);
  });

  it('drops the names Connection lists, wherever they come, but never Content-Length', () => {
    const out: string[] = [];
    const length = copyResponseHeaders(
      raw(
        'X-Secret',
        'a',
        'Connection',
        'x-secret, Content-Length, X-Other',
        'Content-Length',
        '2',
        'x-other',
        'b',
        'Date',
        'd',
      ),
      out,
    );
    expect(length).toBe(2);
    expect(out).toEqual(['Content-Length', '2', 'Date', 'd']);
  });

  it('answers -1 for a stream (no Content-Length)', () => {
    expect(copyResponseHeaders(raw('Content-Type', 'text/event-stream'), [])).toBe(-1);
  });
});
