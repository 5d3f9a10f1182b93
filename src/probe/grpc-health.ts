/**
 * grpc.health.v1 on the wire, without a protobuf library: the request is
 * `HealthCheckRequest { string service = 1; }`, the answer
 * `HealthCheckResponse { ServingStatus status = 1; }`, each in a gRPC
 * length-prefixed frame (1 byte compressed flag, 4 bytes big-endian length).
 */

export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';

export const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;

/** The framed request; an empty service asks about the server as a whole. */
export function encodeHealthRequest(service: string): Buffer {
  const name = Buffer.from(service, 'utf8');
  const body = name.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a]), varint(name.length), name]);
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, 5);
  return frame;
}

/** The `status` of the first framed HealthCheckResponse; a string explains what was wrong otherwise. */
export function decodeHealthResponse(data: Buffer): number | string {
  if (data.length < 5) return 'no response message';
  if (data[0] !== 0) return 'compressed response message';
  const length = data.readUInt32BE(1);
  if (data.length < 5 + length) return 'truncated response message';
  const msg = data.subarray(5, 5 + length);
  let status = 0;
  let i = 0;
  while (i < msg.length) {
    const [key, afterKey] = readVarint(msg, i);
    if (afterKey < 0) return 'malformed response message';
    i = afterKey;
    const wire = key & 7;
    if (wire === 0) {
      const [value, next] = readVarint(msg, i);
      if (next < 0) return 'malformed response message';
      if (key >>> 3 === 1) status = value;
      i = next;
    } else if (wire === 2) {
      const [len, next] = readVarint(msg, i);
      if (next < 0 || next + len > msg.length) return 'malformed response message';
      i = next + len;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else return 'malformed response message';
  }
  return i === msg.length ? status : 'malformed response message';
}

export function servingStatusName(status: number): string {
  return SERVING_STATUS[status] ?? String(status);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

/** [value, next index], next -1 when the varint runs past the end (values beyond 2^31 are not needed here). */
function readVarint(buf: Buffer, start: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (let i = start; i < buf.length && shift < 35; i++) {
    const b = buf[i]!;
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return [value, i + 1];
  }
  return [0, -1];
}
