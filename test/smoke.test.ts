import type { Patient } from '@medplum/fhirtypes';
import { startTestServer, type TestServer } from './harness.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => srv?.stop());

test('create then read a Patient through a FHIR client', async () => {
  const created = (await srv.client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', gender: 'female' } })) as unknown as Patient;
  const read = (await srv.client.read({ resourceType: 'Patient', id: created.id as string })) as unknown as Patient;
  expect(read.gender).toBe('female');
  expect(read.meta?.versionId).toBe('1');
});
