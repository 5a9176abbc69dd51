import type { SimDevice } from './devices.js';
import { schemaVersions } from './metrics.js';
import { uuidFrom } from './random.js';
import type { SimReading } from './readings.js';
import { formatTime } from './time.js';

export interface OmhDataPoint {
  header: {
    id: string;
    creation_date_time: string;
    schema_id: { namespace: 'omh'; name: string; version: string };
    acquisition_provenance: { source_name: string; modality: 'sensed' };
  };
  body: Record<string, unknown>;
}

/** An Open mHealth data point for one reading, its header id derived from what it is. */
export function omhDataPoint(reading: SimReading, device: SimDevice, createdAt: number, offsetMinutes: number, seed: string): OmhDataPoint {
  return {
    header: {
      id: uuidFrom(seed, device.id, reading.metric, reading.time),
      creation_date_time: formatTime(createdAt, offsetMinutes),
      schema_id: { namespace: 'omh', name: reading.metric, version: schemaVersions[reading.metric] },
      acquisition_provenance: { source_name: `${device.manufacturer} ${device.model}`, modality: 'sensed' },
    },
    body: omhBody(reading, offsetMinutes),
  };
}

export function omhBody(reading: SimReading, offsetMinutes: number): Record<string, unknown> {
  const at = { date_time: formatTime(reading.time, offsetMinutes) };
  const value = reading.value as number;
  switch (reading.metric) {
    case 'heart-rate':
      return { heart_rate: { value, unit: 'beats/min' }, effective_time_frame: at };
    case 'oxygen-saturation':
      return { oxygen_saturation: { value, unit: '%' }, effective_time_frame: at, system: 'peripheral capillary', measurement_method: 'pulse oximetry' };
    case 'respiratory-rate':
      return { respiratory_rate: { value, unit: 'breaths/min' }, effective_time_frame: at };
    case 'step-count':
      return {
        step_count: { value, unit: 'steps' },
        effective_time_frame: {
          time_interval: { start_date_time: at.date_time, end_date_time: formatTime(reading.time + reading.durationMs, offsetMinutes) },
        },
      };
    case 'blood-pressure':
      return {
        systolic_blood_pressure: { value, unit: 'mmHg' },
        diastolic_blood_pressure: { value: reading.diastolic, unit: 'mmHg' },
        effective_time_frame: at,
        body_posture: 'sitting',
        measurement_location: 'left upper arm',
      };
    case 'blood-glucose':
      return {
        blood_glucose: { value, unit: 'mg/dL' },
        effective_time_frame: at,
        specimen_source: 'capillary blood',
        ...(reading.meal ? { temporal_relationship_to_meal: reading.meal } : {}),
      };
    case 'body-weight':
      return { body_weight: { value, unit: 'kg' }, effective_time_frame: at };
    case 'body-height':
      return { body_height: { value, unit: 'cm' }, effective_time_frame: at };
    case 'body-temperature':
      return {
        body_temperature: { value, unit: 'C' },
        effective_time_frame: at,
        measurement_location: 'tympanic',
        ...(reading.onWaking ? { temporal_relationship_to_sleep: 'on waking' } : {}),
      };
  }
}
