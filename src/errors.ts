export interface ErrorDetail {
  path: string;
  message: string;
}

/**
 * The only error type that reaches a client with its own message: everything else becomes a
 * 500 "Internal Server Error" in the error handler. `code` is a stable snake_case identifier
 * that clients can switch on; `message` is for people and may change.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export class ValidationError extends HttpError {
  constructor(details: ErrorDetail[]) {
    super(400, 'validation_error', 'Request validation failed', details);
    this.name = 'ValidationError';
  }
}

export class NotFoundError extends HttpError {
  constructor(code = 'not_found', message = 'Not found') {
    super(404, code, message);
    this.name = 'NotFoundError';
  }
}
