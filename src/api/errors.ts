/**
 * The API's one error shape, `{"error": {"code", "message", "details"}}`, and the middleware that turns
 * every thrown error into it. Each code has exactly one HTTP status, so handlers only pick a code.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { isGrpcServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { isDatabaseUnavailable } from '../db/database';
import type { Logger } from '../logger';
import { requestIdOf } from './requestLog';

export const STATUS_OF_CODE = {
  invalid_request: 400,
  no_valid_numbers: 400,
  unauthorized: 401,
  not_found: 404,
  request_timeout: 408,
  campaign_not_found: 404,
  call_not_found: 404,
  not_on_list: 404,
  campaign_exists: 409,
  campaign_closed: 409,
  numbers_being_added: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  headers_too_large: 431,
  internal_error: 500,
  temporal_unavailable: 503,
  database_unavailable: 503,
  temporal_not_set_up: 503,
  not_ready: 503,
  too_many_streams: 503,
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

/**
 * Express's own client errors: its body parsers (with a `type`), decompression failures, and the
 * router's URIError for a path that is not valid percent-encoding. All carry a 4xx `status`.
 */
interface HttpClientError extends Error {
  status: number;
  type?: string;
  limit?: number;
}

function isHttpClientError(err: unknown): err is HttpClientError {
  if (!(err instanceof Error)) return false;
  const { status } = err as Partial<HttpClientError>;
  return typeof status === 'number' && status >= 400 && status < 500;
}

function fromHttpClientError(err: HttpClientError): ApiError {
  switch (err.type) {
    case 'entity.too.large':
      return new ApiError('payload_too_large', `request body is larger than the limit of ${err.limit ?? '?'} bytes`);
    case 'entity.parse.failed':
      return new ApiError('invalid_request', 'request body is not valid JSON');
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new ApiError('unsupported_media_type', err.message);
  }
  if (err instanceof URIError) return new ApiError('invalid_request', 'the path is not valid percent-encoding');
  if (err.status === 413) return new ApiError('payload_too_large', err.message);
  if (err.status === 415) return new ApiError('unsupported_media_type', err.message);
  // e.g. a Content-Encoding: gzip body that is not gzip.
  return new ApiError('invalid_request', `request cannot be read: ${err.message}`);
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (isHttpClientError(err)) return fromHttpClientError(err);
  if (isTemporalUnavailable(err)) {
    return new ApiError('temporal_unavailable', 'Temporal cannot be reached right now; retry later');
  }
  if (isDatabaseUnavailable(err)) {
    return new ApiError('database_unavailable', 'the database cannot be reached right now; retry later');
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

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(STATUS_OF_CODE, value);
}

/** The error code a response was answered with (set by errorHandler), for metrics. */
export function errorCodeOf(res: Response): ErrorCode | undefined {
  const code: unknown = res.locals.errorCode;
  return isErrorCode(code) ? code : undefined;
}

const UNAVAILABLE: ReadonlySet<ErrorCode> = new Set(['temporal_unavailable', 'database_unavailable', 'temporal_not_set_up']);

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
      // An outage of Temporal or the database is expected now and then; anything else is a bug worth an error.
      const level = UNAVAILABLE.has(apiError.code) ? 'warn' : 'error';
      const requestId = requestIdOf(res);
      logger[level]({ requestId, err: describeError(err), method, path, code: apiError.code }, 'request failed');
    }
    res.locals.errorCode = apiError.code;
    if (UNAVAILABLE.has(apiError.code)) res.set('Retry-After', String(RETRY_AFTER_SEC));
    res.status(apiError.status).json(apiError.toBody());
  };
}

/**
 * For the HTTP server's 'clientError' event: a request Node cannot parse (headers over its 16 KB
 * limit, bad framing, a timeout) never reaches Express, and Node's own answer has no body. This
 * answers in the API's error shape instead.
 */
export function replyToClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const apiError =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? new ApiError('headers_too_large', 'request line and headers are larger than the server takes')
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new ApiError('request_timeout', 'the request took too long to arrive')
        : new ApiError('invalid_request', 'malformed HTTP request');
  const body = JSON.stringify(apiError.toBody());
  socket.end(
    [
      `HTTP/1.1 ${apiError.status} ${STATUS_CODES[apiError.status]}`,
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
      '',
      body,
    ].join('\r\n'),
  );
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new ApiError('not_found', `no route for ${req.method} ${req.path}`));
};
