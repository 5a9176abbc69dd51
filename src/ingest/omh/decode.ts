import { isMetric, metrics, Rejection, type Metric, type Reading } from '../reading.js';
import type { OmhBody } from './body.js';
import { bareSource, readHeader } from './header.js';
import { mappers } from './mappers.js';
import { checkBody, checkDataPoint, resolveVersion, schemaVersions } from './schemas.js';
import type { Source } from './source.js';

export interface DecodeOptions {
  /** When the message arrived: the effective time of a body that has none and no header. Default: now. */
  receivedAt?: Date;
}

/** The metric and schema version a topic's last level names ("heart-rate", "heart-rate@2.0"). */
interface TopicSchema {
  metric: Metric;
  /** The concrete version the topic names, when it names one. */
  version?: string;
}

type Json = Record<string, unknown>;

/**
 * Decodes an Open mHealth payload published on a topic whose last level is `metricSegment`: a
 * data point ({header, body}), a body alone, or an array of those. Each body is checked
 * against its schema (the header's schema_id, else the topic's version, else the newest), then
 * mapped to a Reading with its value in the metric's canonical unit and checked for
 * plausibility. All or nothing: any bad element rejects the message.
 * Throws Rejection: `unknown-metric` (not a metric Serium ingests), `schema` (the payload does
 * not match its schema, or its header names another metric or version), `implausible`.
 */
export function decodeOmh(metricSegment: string, payload: unknown, options: DecodeOptions = {}): Reading[] {
  const topic = readSegment(metricSegment);
  const receivedAt = options.receivedAt ?? new Date();
  if (!Array.isArray(payload)) return [decodeOne(topic, payload, receivedAt)];
  if (!payload.length) throw new Rejection('schema', 'the message is an empty array');
  return payload.map((item, i) => {
    try {
      return decodeOne(topic, item, receivedAt);
    } catch (err) {
      if (err instanceof Rejection) throw new Rejection(err.reason, `element [${i}]: ${err.message}`);
      throw err;
    }
  });
}

function readSegment(segment: string): TopicSchema {
  const m = /^([a-z0-9]+(?:-[a-z0-9]+)*)(?:@(.+))?$/.exec(segment);
  const name = m?.[1] ?? segment;
  if (!m || !isMetric(name)) {
    throw new Rejection('unknown-metric', `"${segment}" is not a metric Serium ingests (${metrics.join(', ')}, optionally @version)`);
  }
  if (m[2] === undefined) return { metric: name };
  const version = resolveVersion(name, m[2]);
  if (!version) throw new Rejection('schema', `${name} has no schema version "${m[2]}" (${schemaVersions(name).join(', ')})`);
  return { metric: name, version };
}

function decodeOne(topic: TopicSchema, item: unknown, receivedAt: Date): Reading {
  if (!isObject(item)) throw new Rejection('schema', `expected a data point or a body (a JSON object), got ${kindOf(item)}`);
  let body: unknown = item;
  let version = topic.version ?? (resolveVersion(topic.metric) as string);
  let source: Source = bareSource(receivedAt);
  if ('header' in item) {
    const problems = checkDataPoint(item);
    if (problems.length) throw new Rejection('schema', `data point: ${problems.join('; ')}`);
    const header = item.header as Json;
    version = headerVersion(topic, header.schema_id as Json);
    body = item.body;
    source = readHeader(header, receivedAt);
  }
  const problems = checkBody(topic.metric, version, body);
  if (problems.length) throw new Rejection('schema', `${topic.metric} ${version} body: ${problems.join('; ')}`);
  return mappers[topic.metric](body as OmhBody, source);
}

/** The version a header's schema_id names, which must be an omh schema of the topic's metric (and version). */
function headerVersion(topic: TopicSchema, schemaId: Json): string {
  const { namespace, name, version } = schemaId as { namespace: string; name: string; version: string };
  if (namespace !== 'omh') throw new Rejection('schema', `header.schema_id.namespace is "${namespace}"; Serium reads "omh" schemas`);
  if (name !== topic.metric) throw new Rejection('schema', `header.schema_id.name "${name}" does not match the topic's metric "${topic.metric}"`);
  const resolved = resolveVersion(name, version);
  if (!resolved) throw new Rejection('schema', `header.schema_id.version "${version}": ${name} has versions ${schemaVersions(name).join(', ')}`);
  if (topic.version && resolved !== topic.version) {
    throw new Rejection('schema', `header.schema_id.version "${version}" does not match the topic's version "${topic.version}"`);
  }
  return resolved;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`);
