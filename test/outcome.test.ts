import { clientError, FhirError } from '../src/fhir/outcome.js';

// Errors from below the HTTP layer that are the client's to fix or retry, and their statuses.
test.each([
  [{ code: '22007', message: 'invalid input syntax for type timestamp' }, 400, 'invalid'],
  [{ code: '40P01', message: 'deadlock detected' }, 409, 'conflict'],
  [{ code: '40001', message: 'could not serialize access' }, 409, 'conflict'],
  [new URIError('URI malformed'), 400, 'invalid'],
  [new FhirError('not-found', 'x'), 404, 'not-found'],
])('%o answers %i %s', (err, status, code) => {
  const e = clientError(err);
  expect(e?.status).toBe(status);
  expect(e?.outcome.issue[0].code).toBe(code);
});

test.each([[new Error('boom')], [{ code: '23505' }], [{ code: 'ECONNREFUSED' }], [undefined]])('%o is a server error', (err) => {
  expect(clientError(err)).toBeUndefined();
});
