import { call, eventually } from './harness.js';
import { publish, publisher, type IngestTestServer } from './mqtt-harness.js';
import { AlertingServer, glucose, patientWithTeam } from './alert-people.js';

// From a reading to people: an emergency reaches the first clinician by email, then the same
// clinician by SMS, then the next clinician by push, until one of them acknowledges; relatives
// hear at once, without clinical detail. Email through a real SMTP server, SMS and push through
// an HTTP gateway (a local receiver); escalation after 1 s instead of 15 minutes.

const alerting = new AlertingServer();
const { smtp, gateway } = alerting;
let srv: IngestTestServer;

beforeAll(async () => {
  await alerting.start({ NOTIFY_GATEWAY_TOKEN: 'gateway-secret', ALERT_ACK_TIMEOUT_MS: '1000', ALERT_CHECK_INTERVAL_MS: '100' });
  srv = alerting.srv;
});
afterAll(() => alerting.stop());

const sent = (to: string) => gateway.received.filter((r) => JSON.parse(r.body).to === to).map((r) => ({ ...JSON.parse(r.body), auth: r.headers.authorization }));
const search = async (path: string) => ((await call(srv, 'GET', path)).body.entry ?? []).map((e: any) => e.resource);

test('an emergency escalates email, SMS, next clinician, and stops at the acknowledgement', async () => {
  const p = await patientWithTeam(srv);
  const reading = await call(srv, 'POST', 'Observation', glucose(p.patient, 41));
  expect(reading.status).toBe(201);

  // step 0: the nurse by email (her preferred ContactPoint), with the clinical detail
  const first = await eventually(async () => smtp.mail.find((m) => m.to.includes(`${p.nurse}@care.test`)), 10_000);
  expect(first.text).toMatch(/^Subject: URGENT: Emergency: Glucose 41 mg\/dL \(below 54\)/m);
  expect(first.text).toMatch(/To acknowledge, answer it in Serium\./);
  const [issue] = await search(`DetectedIssue?patient=Patient/${p.patient}`);
  expect(issue).toMatchObject({ severity: 'high', code: { coding: [{ code: 'glucose-critical-low' }] }, implicated: [{ reference: `Observation/${reading.body.id}` }] });

  // the daughter hears at once, by SMS, with no value and no condition
  const toDaughter = await eventually(async () => sent(`+3361111${p.tag.slice(0, 4)}`)[0]);
  expect(toDaughter).toMatchObject({ channel: 'sms', priority: 'urgent', auth: 'Bearer gateway-secret' });
  // the pointer to the record carries a random id, which may contain 41 by chance
  expect(toDaughter.text.replace(/\(Communication\/[^)]*\)/, '')).not.toMatch(/glucose|41|mg\/dL/i);
  // nor how to acknowledge: only a clinician's answer does
  expect(toDaughter.text).not.toMatch(/acknowledge/i);

  // step 1: nobody answered within 1 s, so the nurse again, by SMS
  const sms = await eventually(async () => sent(`+3360000${p.tag.slice(0, 4)}`)[0], 10_000);
  expect(sms).toMatchObject({ channel: 'sms', priority: 'urgent' });
  expect(sms.text).toMatch(/Glucose 41 mg\/dL/);
  // step 2: then the doctor, by push
  const push = await eventually(async () => sent(`${p.doctor}-token`)[0], 10_000);
  expect(push).toMatchObject({ channel: 'push' });

  // the doctor acknowledges by answering the message that reached them
  // the dispatcher records the send after the gateway answered
  const toDoctor = await eventually(async () => {
    const [c] = await search(`Communication?recipient=Practitioner/${p.doctor}`);
    return c?.status === 'completed' ? c : undefined;
  });
  expect(toDoctor).toMatchObject({ status: 'completed', medium: [{ coding: [{ code: 'push' }] }], basedOn: [{ reference: expect.stringMatching(/^CommunicationRequest\//) }] });
  const ack = await call(srv, 'POST', 'Communication', {
    resourceType: 'Communication',
    status: 'completed',
    inResponseTo: [{ reference: `Communication/${toDoctor.id}` }],
    subject: { reference: `Patient/${p.patient}` },
    sender: { reference: `Practitioner/${p.doctor}` },
    sent: '2026-11-21T08:03:00Z',
    payload: [{ contentString: 'Seen, calling the patient.' }],
  });
  expect(ack.status).toBe(201);
  const mitigated = await eventually(async () => (await call(srv, 'GET', `DetectedIssue/${issue.id}`)).body.mitigation?.[0]);
  expect(mitigated).toMatchObject({ action: { coding: [{ code: 'acknowledged' }] }, date: '2026-11-21T08:03:00Z', author: { reference: `Practitioner/${p.doctor}` } });
  const [request] = await eventually(async () => {
    const found = await search(`CommunicationRequest?subject=Patient/${p.patient}`);
    return found[0]?.status === 'completed' ? found : undefined;
  });
  expect(request.recipient.map((r: any) => r.reference)).toEqual([`Practitioner/${p.nurse}`, `Practitioner/${p.doctor}`]);

  // nobody else is called: the request is completed, so no step follows however long it waits
  const count = gateway.received.length + smtp.mail.length;
  await new Promise((r) => setTimeout(r, 2500));
  expect(gateway.received.length + smtp.mail.length).toBe(count);
  // the Flag stays active until a clinician resolves it
  expect((await search(`Flag?patient=Patient/${p.patient}`))[0].status).toBe('active');
}, 60_000);

test('when every step has been tried without an answer, the escalation is put on hold with the reason', async () => {
  const p = await patientWithTeam(srv);
  await call(srv, 'POST', 'Observation', glucose(p.patient, 320));
  const request = await eventually(async () => {
    const [r] = await search(`CommunicationRequest?subject=Patient/${p.patient}`);
    return r?.status === 'on-hold' ? r : undefined;
  }, 20_000);
  expect(request.statusReason.text).toMatch(/Nobody acknowledged/);
  // three steps: nurse by email, nurse by SMS, doctor by push
  const steps = await search(`Communication?based-on=CommunicationRequest/${request.id}`);
  expect(steps.map((c: any) => `${c.recipient[0].reference} ${c.medium[0].coding[0].code}`).sort()).toEqual(
    [`Practitioner/${p.doctor} push`, `Practitioner/${p.nurse} email`, `Practitioner/${p.nurse} sms`].sort(),
  );
}, 60_000);

test('a clinician recording a mitigation on the DetectedIssue stops the escalation too', async () => {
  const p = await patientWithTeam(srv);
  await call(srv, 'POST', 'Observation', glucose(p.patient, 35));
  const issue = await eventually(async () => (await search(`DetectedIssue?patient=Patient/${p.patient}`))[0]);
  const updated = await call(srv, 'PUT', `DetectedIssue/${issue.id}`, {
    ...issue,
    mitigation: [{ action: { text: 'Called the patient' }, date: '2026-11-21T08:01:00Z', author: { reference: `Practitioner/${p.nurse}` } }],
  });
  expect(updated.status).toBe(200);
  const request = await eventually(async () => {
    const [r] = await search(`CommunicationRequest?subject=Patient/${p.patient}`);
    return r?.status === 'completed' ? r : undefined;
  }, 10_000);
  expect(request).toBeDefined();
  expect(sent(`${p.doctor}-token`)).toHaveLength(0);
}, 60_000);

test('end to end: a cuff reading published over MQTT reaches the nurse by email as an emergency', async () => {
  const p = await patientWithTeam(srv);
  const pub = await publisher();
  try {
    await publish(pub, srv.topic(p.patient, `cuff-${p.tag}`, 'blood-pressure'), {
      systolic_blood_pressure: { value: 186, unit: 'mmHg' },
      diastolic_blood_pressure: { value: 124, unit: 'mmHg' },
      effective_time_frame: { date_time: '2026-11-21T07:30:00Z' },
    });
  } finally {
    await pub.endAsync();
  }
  const mail = await eventually(async () => smtp.mail.find((m) => m.to.includes(`${p.nurse}@care.test`)), 15_000);
  expect(mail.text).toMatch(/^Subject: URGENT: Emergency: Blood pressure 186\/124 mm\[Hg\]/m);
}, 30_000);
