/** Failures as log fields: the message and its causes (an Error logged as is shows as `{}`). */
export interface FailureFields {
  message: string;
  type?: string;
  causes?: string[];
}

export function failureFields(err: unknown): FailureFields {
  if (!(err instanceof Error)) return { message: String(err) };
  const causes: string[] = [];
  for (let cause = err.cause, depth = 0; cause !== undefined && depth < 5; depth++) {
    causes.push(cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause));
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return { message: err.message, type: err.name, ...(causes.length > 0 ? { causes } : {}) };
}
