/** Requests to the API (same origin): the key on each, one error type for every failure, 401 signs out. */
import { authHeaders, signOut } from './auth';
import type { ErrorBody, FieldProblem, RejectedNumber } from './types';

export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** `invalid_request`'s per-field problems (none for other codes). */
  get fields(): FieldProblem[] {
    const fields = (this.details as { fields?: unknown } | null)?.fields;
    return Array.isArray(fields) ? (fields as FieldProblem[]) : [];
  }

  /** `no_valid_numbers` lists every number with why it was refused. */
  get rejected(): RejectedNumber[] {
    const rejected = (this.details as { rejected?: unknown } | null)?.rejected;
    return this.code === 'no_valid_numbers' && Array.isArray(rejected) ? (rejected as RejectedNumber[]) : [];
  }
}

function isErrorBody(body: unknown): body is ErrorBody {
  const error = (body as Partial<ErrorBody> | null)?.error;
  return typeof error?.code === 'string' && typeof error.message === 'string';
}

/** The API's error from a failed response; a body in another shape (a proxy's page) still gets a message. */
export async function errorOf(res: Response): Promise<ApiError> {
  const body: unknown = await res.json().catch(() => null);
  const error = isErrorBody(body)
    ? new ApiError(res.status, body.error.code, body.error.message, body.error.details)
    : new ApiError(res.status, `http_${res.status}`, `The server answered ${res.status} ${res.statusText}`.trim());
  if (res.status === 401) signOut(error.message);
  return error;
}

const unreachable = (): ApiError =>
  new ApiError(0, 'network', 'The server cannot be reached. Check the connection and try again.');

export interface RequestOptions {
  method?: string;
  query?: URLSearchParams;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as text/csv (a file as it is). */
  csv?: Blob;
  signal?: AbortSignal;
}

function urlOf(path: string, query?: URLSearchParams): string {
  const search = query?.toString() ?? '';
  return search === '' ? path : `${path}?${search}`;
}

/** The response when its status is 2xx; otherwise throws ApiError (an abort throws the AbortError). */
export async function send(path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders() };
  let body: BodyInit | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.csv !== undefined) {
    headers['content-type'] = 'text/csv';
    body = options.csv;
  }
  let res: Response;
  try {
    res = await fetch(urlOf(path, options.query), { method: options.method ?? 'GET', headers, body, signal: options.signal });
  } catch (err) {
    if (options.signal?.aborted) throw err;
    throw unreachable();
  }
  if (!res.ok) throw await errorOf(res);
  return res;
}

/** The JSON reply (undefined for 204). */
export async function apiJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const res = await send(path, options);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}
