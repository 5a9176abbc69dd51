import type { OperationOutcomeIssue } from '@medplum/fhirtypes';

/** R4 base64Binary: groups of four characters, whitespace allowed between them (datatypes.html#base64Binary). */
const base64Binary = /^(\s*([0-9a-zA-Z+/=]){4}\s*)+$/;

/**
 * Drops the structural validator's "Invalid base64Binary format" issues for values the R4
 * regex accepts: that validator forbids the line breaks every 76 characters that MIME-style
 * base64 carries, as the R4 Binary example does.
 */
export function allowWrappedBase64(resource: unknown, issues: OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  return issues.filter((issue) => {
    if (issue.details?.text !== 'Invalid base64Binary format' || issue.expression?.length !== 1) return true;
    const value = at(resource, issue.expression[0]);
    return !(typeof value === 'string' && base64Binary.test(value));
  });
}

/** The value at a path such as "DocumentReference.content[0].attachment.data" (first step: the type). */
function at(root: unknown, path: string): unknown {
  let value = root;
  for (const step of path.split('.').slice(1)) {
    const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(step);
    if (!m) return undefined;
    value = (value as Record<string, unknown> | undefined)?.[m[1]];
    for (const i of m[2].match(/\d+/g) ?? []) value = (value as unknown[] | undefined)?.[Number(i)];
  }
  return value;
}
