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
