import type { Metric, Reading } from '../reading.js';
import type { OmhBody } from './body.js';
import { mapBloodGlucose } from './map-blood-glucose.js';
import { mapBloodPressure } from './map-blood-pressure.js';
import { mapBodyTemperature } from './map-body-temperature.js';
import { quantityMapper } from './map-quantity.js';
import { mapStepCount } from './map-step-count.js';
import type { Source } from './source.js';

/** Maps one schema-checked body of a metric's Open mHealth schema (any version) to a Reading. */
export type Mapper = (body: OmhBody, source: Source) => Reading;

export const mappers: Record<Metric, Mapper> = {
  'heart-rate': quantityMapper('heart-rate', 'heart_rate'),
  'oxygen-saturation': quantityMapper('oxygen-saturation', 'oxygen_saturation'),
  'blood-pressure': mapBloodPressure,
  'blood-glucose': mapBloodGlucose,
  'body-weight': quantityMapper('body-weight', 'body_weight'),
  'body-height': quantityMapper('body-height', 'body_height'),
  'body-temperature': mapBodyTemperature,
  'respiratory-rate': quantityMapper('respiratory-rate', 'respiratory_rate'),
  'step-count': mapStepCount,
  'body-mass-index': quantityMapper('body-mass-index', 'body_mass_index'),
};
