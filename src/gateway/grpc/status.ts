import type { ServerHttp2Stream } from 'node:http2';

/** gRPC status codes (grpc/doc/statuscodes.md) the gateway produces or maps. */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/**
 * The HTTP status a gRPC status stands for in metrics and the access log (the
 * `code` label), so HTTP and gRPC calls read alike: OK → 200, UNAUTHENTICATED → 401,
 * NOT_FOUND → 404, RESOURCE_EXHAUSTED → 429, CANCELLED → 499, UNAVAILABLE → 503,
 * DEADLINE_EXCEEDED → 504, anything else → 500 (grpc-gateway's mapping).
 */
export function httpEquivalent(status: number): number {
  switch (status) {
    case 0:
      return 200;
    case 1:
      return 499;
    case 3:
    case 9:
      return 400;
    case 4:
      return 504;
    case 5:
      return 404;
    case 7:
      return 403;
    case 8:
      return 429;
    case 12:
      return 501;
    case 14:
      return 503;
    case 16:
      return 401;
    default:
      return 500;
  }
}

/** `grpc-message` is percent-encoded outside printable ASCII (and `%` itself). */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : '%' + hex(byte);
  }
  return out;
}

function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0');
}

export function statusTrailers(status: number, message: string): Record<string, string> {
  return { 'grpc-status': String(status), 'grpc-message': encodeGrpcMessage(message) };
}

/**
 * A gateway-made gRPC error: HTTP 200, `application/grpc`, status in a
 * trailers-only answer. Returns false when the stream can no longer take one.
 */
export function sendTrailersOnly(stream: ServerHttp2Stream, status: number, message: string): boolean {
  if (stream.destroyed || stream.closed) return false;
  if (stream.headersSent) return false;
  stream.respond(
    { ':status': 200, 'content-type': 'application/grpc', ...statusTrailers(status, message) },
    {
      endStream: true,
    },
  );
  return true;
}
