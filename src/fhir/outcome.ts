import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

/** OperationOutcome issue codes Serium raises, and the HTTP status each maps to. */
export const statusByIssueCode = {
  invalid: 400,
  structure: 400,
  required: 400,
  value: 400,
  'invariant': 400,
  'code-invalid': 400,
  processing: 422,
  'business-rule': 422,
  security: 403,
  forbidden: 403,
  login: 401,
  'not-found': 404,
  deleted: 410,
  'not-supported': 400,
  conflict: 409,
  duplicate: 409,
  'multiple-matches': 412,
  'too-costly': 413,
  'too-long': 413,
  exception: 500,
  timeout: 500,
  throttled: 429,
  informational: 200,
} as const;

export type IssueCode = keyof typeof statusByIssueCode;

/** The one error type of the server: an OperationOutcome plus the HTTP status it answers with. */
export class FhirError extends Error {
  readonly status: number;
  readonly outcome: OperationOutcome;
  readonly headers: Record<string, string>;

  constructor(
    code: IssueCode,
    message: string,
    opts: { status?: number; expression?: string[]; issues?: OperationOutcomeIssue[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = opts.status ?? statusByIssueCode[code];
    this.headers = opts.headers ?? {};
    this.outcome = {
      resourceType: 'OperationOutcome',
      issue: opts.issues ?? [
        {
          severity: 'error',
          code,
          diagnostics: message,
          ...(opts.expression ? { expression: opts.expression } : {}),
        },
      ],
    };
  }
}

export function outcome(
  severity: OperationOutcomeIssue['severity'],
  code: OperationOutcomeIssue['code'],
  diagnostics: string,
): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, diagnostics }] };
}

export const notFound = (what: string) => new FhirError('not-found', `${what} not found`);
export const badRequest = (message: string, expression?: string[]) => new FhirError('invalid', message, { expression });
export const notSupported = (message: string, status = 400) => new FhirError('not-supported', message, { status });

/**
 * Errors that are the client's fault although not raised as a FhirError: a malformed
 * percent-encoding (URIError) or a value PostgreSQL rejected as data (SQLSTATE class 22).
 * Anything else stays an internal error.
 */
export function clientError(err: unknown): FhirError | undefined {
  if (err instanceof FhirError) return err;
  if (err instanceof URIError) return new FhirError('invalid', 'The URL contains a malformed percent-encoding');
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && code.startsWith('22')) return new FhirError('invalid', `Invalid value: ${(err as Error).message}`);
  // deadlock or serialization failure: the transaction was rolled back, a retry can succeed
  if (code === '40P01' || code === '40001') {
    return new FhirError('conflict', 'The request collided with a concurrent one and was rolled back; retry it');
  }
  return undefined;
}
