import { catalogue, gatewayFirmware, phoneModels, type DeviceKind, type Gateway, type SimDevice } from './devices.js';
import { hexId, Random } from './random.js';

/** One simulated patient: who they are on the wire, their physiology and their devices. */
export interface PatientProfile {
  /** 1-based; the number in the FHIR ids (Patient/sim-0001). */
  index: number;
  fhirId: string;
  /** The identifier with system urn:serium:pseudonym, and the topic segment. */
  pseudonym: string;
  /** The phone's UTC offset in minutes (fixed for the run). */
  offsetMinutes: number;
  birthYear: number;
  sex: 'female' | 'male';
  diabetic: boolean;
  heartFailure: boolean;
  /** Heart rate awake at rest, beats/min. */
  restingHeartRate: number;
  /** Typical SpO2 in %. */
  oxygenSaturation: number;
  /** Breaths/min awake at rest. */
  respiratoryRate: number;
  systolic: number;
  diastolic: number;
  weightKg: number;
  heightCm: number;
  /** Fasting blood glucose in mg/dL (meaningful for diabetics). */
  fastingGlucose: number;
  temperatureC: number;
  /** Multiplies walking: 0.5 sedentary to 1.5 active. */
  activity: number;
  /** Usual bedtime and waking, local hours (bedtime before midnight). */
  bedtime: number;
  wakeTime: number;
  devices: SimDevice[];
  gateway: Gateway;
}

/** Conditions forced on some patients (by 1-based index), e.g. diabetic for a hypoglycemia scenario. */
export interface ProfileOverrides {
  diabetic?: Iterable<number>;
  heartFailure?: Iterable<number>;
}

const offsets = [60, 60, 60, 60, 60, 0, 0, 120, 120, -300, 330] as const;

/** `count` patients, the same for the same seed; patient n does not depend on count. */
export function createPatients(count: number, seed: string, overrides: ProfileOverrides = {}): PatientProfile[] {
  const diabetic = new Set(overrides.diabetic ?? []);
  const heartFailure = new Set(overrides.heartFailure ?? []);
  const patients: PatientProfile[] = [];
  for (let index = 1; index <= count; index++) {
    patients.push(createPatient(index, seed, diabetic.has(index), heartFailure.has(index)));
  }
  return patients;
}

function createPatient(index: number, seed: string, forceDiabetic: boolean, forceHeartFailure: boolean): PatientProfile {
  const r = new Random(seed, 'patient', index);
  const number = String(index).padStart(4, '0');
  const fhirId = `sim-${number}`;
  const sex = r.chance(0.55) ? 'female' : 'male';
  const diabetic = r.chance(0.35) || forceDiabetic;
  const heartFailure = r.chance(0.3) || forceHeartFailure;
  const heightCm = round1(sex === 'female' ? r.normal(161, 6) : r.normal(174, 7));
  const bmi = r.between(21, 33) + (diabetic ? 2 : 0);
  const profile: PatientProfile = {
    index,
    fhirId,
    pseudonym: `p-${hexId(10, seed, 'pseudonym', index)}`,
    offsetMinutes: r.pick(offsets),
    birthYear: r.int(1935, 1965),
    sex,
    diabetic,
    heartFailure,
    restingHeartRate: Math.round(r.between(58, 78) + (heartFailure ? 6 : 0)),
    oxygenSaturation: heartFailure ? r.int(95, 96) : r.int(96, 98),
    respiratoryRate: r.int(13, 17),
    systolic: Math.round(r.between(118, 148)),
    diastolic: Math.round(r.between(70, 88)),
    weightKg: round1((bmi * heightCm * heightCm) / 10000),
    heightCm,
    fastingGlucose: Math.round(diabetic ? r.between(105, 150) : r.between(82, 98)),
    temperatureC: round1(r.between(36.3, 36.8)),
    activity: r.between(0.5, 1.5),
    bedtime: r.between(21.75, 23.25),
    wakeTime: r.between(6, 7.5),
    devices: [],
    gateway: {
      id: `phone-${hexId(8, seed, 'phone', index)}`,
      fhirId: `${fhirId}-phone`,
      model: r.pick(phoneModels),
      firmware: gatewayFirmware,
    },
  };
  const kinds: DeviceKind[] = ['watch', 'cuff', 'scale', 'thermometer'];
  if (diabetic) kinds.push('glucometer');
  if (heartFailure || r.chance(0.25)) kinds.push('oximeter');
  profile.devices = kinds.map((kind) => {
    const model = catalogue[kind];
    const serial = hexId(8, seed, 'device', index, kind);
    return { ...model, id: `${model.model.toLowerCase()}-${serial}`, fhirId: `${fhirId}-${kind}` };
  });
  return profile;
}

export function deviceOf(patient: PatientProfile, kind: DeviceKind): SimDevice | undefined {
  return patient.devices.find((d) => d.kind === kind);
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
