/**
 * Every error Pier reports to a user carries a stable `code`. The API answers
 * `{code, message, errors?}` with `httpStatus`; the CLI maps codes to exit codes.
 * `docs/errors.md` lists the same codes; errors.test.ts keeps the two in sync.
 */

export interface FieldError {
  /** JSON path of the offending value, e.g. `containers[0].liveness_check.success_threshold`. */
  path: string;
  message: string;
}

export const ERROR_CODES = {
  SPEC_INVALID: 400,
  SPEC_PARSE: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  OPENAPI_SIGNATURE: 400,
  FORBIDDEN: 403,
  SERVICE_NOT_FOUND: 404,
  REVISION_NOT_FOUND: 404,
  INSTANCE_NOT_FOUND: 404,
  GROUP_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  SERVICE_EXISTS: 409,
  CONFLICT: 409,
  BODY_TOO_LARGE: 413,
  RUNTIME_UNSUPPORTED: 422,
  TRAFFIC_UNSUPPORTED: 422,
  KUBERNETES_CONFIG: 400,
  KUBERNETES_API: 502,
  UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class PierError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly errors?: FieldError[];
  readonly warnings?: FieldError[];

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; errors?: FieldError[]; warnings?: FieldError[] } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PierError';
    this.code = code;
    this.httpStatus = ERROR_CODES[code];
    if (options.errors) this.errors = options.errors;
    if (options.warnings) this.warnings = options.warnings;
  }

  toJSON(): { code: ErrorCode; message: string; errors?: FieldError[]; warnings?: FieldError[] } {
    return {
      code: this.code,
      message: this.message,
      ...(this.errors ? { errors: this.errors } : {}),
      ...(this.warnings ? { warnings: this.warnings } : {}),
    };
  }
}

export function isPierError(err: unknown): err is PierError {
  return err instanceof PierError;
}

/** Wraps anything thrown into a PierError so callers can always read `code`. */
export function toPierError(err: unknown): PierError {
  if (err instanceof PierError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new PierError('INTERNAL', message, { cause: err });
}

/** Why a traffic split between revisions is refused on a platform that cannot run one. */
export const TRAFFIC_SPLIT_UNSUPPORTED =
  'traffic splitting between revisions needs the local platform for now (the Kubernetes platform runs one Deployment per service); use "pier modify NAME" for a rolling update';
