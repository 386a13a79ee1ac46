import type { FieldProblem } from './domain/validation.js'

/** One small hierarchy of typed errors with stable codes; mapped to HTTP in one place. */
export class RunwayError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message)
    this.name = new.target.name
  }
}

/** The caller sent something malformed. */
export class InputError extends RunwayError {
  constructor(message: string, readonly problems: FieldProblem[] = [], code = 'INVALID_INPUT') {
    super(code, message, { problems })
  }
}

export class NotFoundError extends RunwayError {
  constructor(message: string) {
    super('NOT_FOUND', message)
  }
}

/** The request conflicts with current state (version mismatch, invalid transition). */
export class ConflictError extends RunwayError {
  constructor(message: string, code = 'CONFLICT', details: Record<string, unknown> = {}) {
    super(code, message, details)
  }
}

/** A body or batch over a configured limit. */
export class TooLargeError extends RunwayError {
  constructor(message: string, limit: Record<string, unknown>) {
    super('PAYLOAD_TOO_LARGE', message, limit)
  }
}

/** A system Runway depends on (warehouse, bus) failed; the caller may retry. */
export class DependencyError extends RunwayError {
  constructor(message: string, cause?: unknown) {
    super('DEPENDENCY_FAILED', message)
    this.cause = cause
  }
}

/** Authentication or authorization refused the request. */
export class AuthError extends RunwayError {}

/** No token, or one that is malformed, unknown, revoked or wrong: 401. */
export class UnauthenticatedError extends AuthError {
  constructor(message: string) {
    super('UNAUTHENTICATED', message)
  }
}

/** A valid token without the permission in that namespace: 403. */
export class ForbiddenError extends AuthError {
  constructor(message: string, details: { permission: string; namespace: string }) {
    super('FORBIDDEN', message, details)
  }
}

export function httpStatusOf(error: unknown): number {
  if (error instanceof UnauthenticatedError) return 401
  if (error instanceof ForbiddenError) return 403
  if (error instanceof InputError) return 400
  if (error instanceof NotFoundError) return 404
  if (error instanceof ConflictError) return 409
  if (error instanceof TooLargeError) return 413
  if (error instanceof DependencyError) return 503
  return 500
}

export function errorBody(error: unknown): { error: { code: string; message: string; details?: Record<string, unknown> } } {
  if (error instanceof RunwayError) {
    const hasDetails = Object.keys(error.details).length > 0
    return { error: { code: error.code, message: error.message, ...(hasDetails ? { details: error.details } : {}) } }
  }
  const message = error instanceof Error ? error.message : String(error)
  return { error: { code: 'INTERNAL', message } }
}
