/** The Open mHealth schemas the simulator publishes, at the newest version of each. */
export const schemaVersions = {
  'heart-rate': '2.0',
  'oxygen-saturation': '2.0',
  'blood-pressure': '4.0',
  'blood-glucose': '4.0',
  'body-weight': '3.0',
  'body-height': '2.0',
  'body-temperature': '4.0',
  'respiratory-rate': '2.0',
  'step-count': '3.0',
} as const;

export type Metric = keyof typeof schemaVersions;

export const allMetrics = Object.keys(schemaVersions) as Metric[];

/** Metrics a watch streams: their unit and sampling interval in the compact format. */
export const streamed = {
  'heart-rate': { unit: 'beats/min', intervalMs: 1000 },
  'oxygen-saturation': { unit: '%', intervalMs: 1000 },
  'respiratory-rate': { unit: 'breaths/min', intervalMs: 1000 },
  'step-count': { unit: 'steps', intervalMs: 60_000 },
} as const;

export type StreamMetric = keyof typeof streamed;

export function isStreamMetric(metric: string): metric is StreamMetric {
  return metric in streamed;
}

/** Quality flags of the compact format. */
export const qualityFlags = ['motion', 'cuff-fit', 'low-perfusion', 'poor-contact', 'low-signal', 'user-flagged'] as const;
export type QualityFlag = (typeof qualityFlags)[number];
