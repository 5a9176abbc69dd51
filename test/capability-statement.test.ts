import type { Bundle, CapabilityStatement, OperationOutcome } from '@medplum/fhirtypes';
import { startTestServer, type TestServer } from './harness.js';

let srv: TestServer;
let cs: CapabilityStatement;
beforeAll(async () => {
  srv = await startTestServer();
  cs = (await srv.client.capabilityStatement()) as unknown as CapabilityStatement;
});
afterAll(async () => srv?.stop());

const resourceOf = (type: string) => cs.rest?.[0].resource?.find((r) => r.type === type);

test('describes an R4 server with JSON and the served resource types', () => {
  expect(cs.resourceType).toBe('CapabilityStatement');
  expect(cs.fhirVersion).toBe('4.0.1');
  expect(cs.kind).toBe('instance');
  expect(cs.format).toContain('application/fhir+json');
  const types = cs.rest?.[0].resource?.map((r) => r.type) ?? [];
  expect(types.length).toBeGreaterThanOrEqual(140);
  for (const t of ['Patient', 'Observation', 'Device', 'DetectedIssue', 'Flag', 'Communication', 'Appointment', 'CarePlan']) {
    expect(types).toContain(t);
  }
  // Parameters has no REST endpoint in R4; SubscriptionStatus is R4B.
  expect(types).not.toContain('Parameters');
  expect(types).not.toContain('SubscriptionStatus');
  expect(cs.rest?.[0].interaction?.map((i) => i.code).sort()).toEqual(['batch', 'history-system', 'search-system', 'transaction']);
});

test('lists the interactions, versioning and conditional support that work', () => {
  const obs = resourceOf('Observation');
  expect(obs?.interaction?.map((i) => i.code).sort()).toEqual(
    ['create', 'delete', 'history-instance', 'history-type', 'patch', 'read', 'search-type', 'update', 'vread'].sort(),
  );
  expect(obs?.versioning).toBe('versioned-update');
  expect(obs?.conditionalCreate).toBe(true);
  expect(obs?.conditionalUpdate).toBe(true);
  expect(obs?.conditionalDelete).toBe('single');
  expect(obs?.operation?.map((o) => o.name).sort()).toEqual(['lastn', 'stats', 'validate']);
  expect(resourceOf('Patient')?.operation?.map((o) => o.name)).toEqual(['validate']);
  expect(obs?.supportedProfile).toContain('http://hl7.org/fhir/StructureDefinition/heartrate');
});

test('every listed interaction type answers on every listed resource type (never 405)', async () => {
  for (const r of cs.rest?.[0].resource ?? []) {
    const res = await srv.fetch(`${r.type}/does-not-exist`);
    expect([r.type, res.status]).toEqual([r.type, 404]);
  }
});

test('every search parameter listed for Patient and Observation is accepted, none is reported unsupported', async () => {
  for (const type of ['Patient', 'Observation', 'Device']) {
    const params = resourceOf(type)?.searchParam ?? [];
    expect(params.length).toBeGreaterThan(10);
    for (const p of params) {
      const res = await srv.fetch(`${type}?${p.name}:missing=true`, { headers: { prefer: 'handling=strict' } });
      const body = (await res.json()) as Bundle | OperationOutcome;
      expect([type, p.name, res.status]).toEqual([type, p.name, 200]);
      expect((body as Bundle).entry?.some((e) => e.search?.mode === 'outcome')).toBeFalsy();
    }
  }
});

test('composites of an unsupported shape are not listed, and a search with one is answered as unsupported', async () => {
  expect(resourceOf('Observation')?.searchParam?.map((p) => p.name)).toContain('component-code-value-quantity');
  // DocumentReference.relationship pairs a reference with a token
  const names = resourceOf('DocumentReference')?.searchParam?.map((p) => p.name) ?? [];
  expect(names).not.toContain('relationship');
  const strict = await srv.fetch('DocumentReference?relationship=DocumentReference/x$replaces', { headers: { prefer: 'handling=strict' } });
  expect(strict.status).toBe(400);
  const lenient = (await (await srv.fetch('DocumentReference?relationship=DocumentReference/x$replaces')).json()) as Bundle;
  const outcome = lenient.entry?.find((e) => e.search?.mode === 'outcome')?.resource as OperationOutcome;
  expect(outcome.issue[0].diagnostics).toMatch(/relationship/);
});
