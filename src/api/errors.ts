/**
 * The API's one error shape, `{"error": {"code", "message", "details"}}`, and the middleware that turns
 * every thrown error into it. Each code has exactly one HTTP status, so handlers only pick a code.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { isGrpcServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { Logger } from '../logger';

const STATUS_OF_CODE = {
  invalid_request: 400,
  no_valid_numbers: 400,
  unauthorized: 401,
  not_found: 404,
  campaign_not_found: 404,
  call_not_found: 404,
  campaign_exists: 409,
  campaign_closed: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  internal_error: 500,
  temporal_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof STATUS_OF_CODE;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: unknown };
}

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get status(): number {
    return STATUS_OF_CODE[this.code];
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details ?? null } };
  }
}

// gRPC status codes (from @grpc/grpc-js, which is not a direct dependency).
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

/** True when Temporal could not be reached or did not answer in time, anywhere in the cause chain. */
export function isTemporalUnavailable(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; current instanceof Error && depth < 8; depth++) {
    if (current instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
    if (isGrpcServiceError(current) && (current.code === GRPC_UNAVAILABLE || current.code === GRPC_DEADLINE_EXCEEDED)) {
      return true;
    }
    // Raised by the connection itself (e.g. waitForReady) rather than by an RPC.
    if (/Failed to connect before the deadline/i.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}

/** Errors thrown by express's body parsers carry a `type` and a 4xx `status`. */
interface BodyParserError extends Error {
  type: string;
  status: number;
  limit?: number;
}

function isBodyParserError(err: unknown): err is BodyParserError {
  if (!(err instanceof Error)) return false;
  const e = err as Partial<BodyParserError>;
  return typeof e.type === 'string' && typeof e.status === 'number' && e.status >= 400 && e.status < 500;
}

function fromBodyParser(err: BodyParserError): ApiError {
  switch (err.type) {
    case 'entity.too.large':
      return new ApiError('payload_too_large', `request body is larger than the limit of ${err.limit ?? '?'} bytes`);
    case 'entity.parse.failed':
      return new ApiError('invalid_request', 'request body is not valid JSON');
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new ApiError('unsupported_media_type', err.message);
    default:
      return new ApiError('invalid_request', err.message);
  }
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (isBodyParserError(err)) return fromBodyParser(err);
  if (isTemporalUnavailable(err)) {
    return new ApiError('temporal_unavailable', 'Temporal cannot be reached right now; retry later');
  }
  return new ApiError('internal_error', 'internal error');
}

/** Name and message along the cause chain: Temporal's wrappers keep the telling part in a cause. */
function describeError(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && depth < 8; depth++) {
    parts.push(current instanceof Error ? `${current.name}: ${current.message}` : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(' <- ');
}

/** Seconds a client is asked to wait before retrying a 503. */
const RETRY_AFTER_SEC = 5;

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const apiError = toApiError(err);
    if (apiError.status >= 500) {
      const { method } = req;
      const path = req.originalUrl.split('?')[0];
      // An outage of Temporal is expected now and then; anything else is a bug worth an error.
      const level = apiError.code === 'temporal_unavailable' ? 'warn' : 'error';
      logger[level]({ err: describeError(err), method, path, code: apiError.code }, 'request failed');
    }
    if (apiError.code === 'temporal_unavailable') res.set('Retry-After', String(RETRY_AFTER_SEC));
    res.status(apiError.status).json(apiError.toBody());
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new ApiError('not_found', `no route for ${req.method} ${req.path}`));
};
