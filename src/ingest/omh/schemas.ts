import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ajv } from 'ajv';
import { projectRoot } from '../../paths.js';
import { describeErrors, newAjv } from '../json-schema.js';

/** Where the vendored Open mHealth schemas and the IEEE stand-ins live (source tree, also after a build). */
export const omhSchemasDir = join(projectRoot(), 'src', 'ingest', 'omh', 'schemas');
export const ieeeStandInsDir = join(projectRoot(), 'src', 'ingest', 'omh', 'ieee-stand-ins');

const omhBase = 'https://w3id.org/openmhealth/schemas/omh/';
const versionedName = /^(.+)-(\d+\.\d+)\.json$/;

interface Catalog {
  ajv: Ajv;
  /** Concrete versions of each schema, oldest first. */
  versions: Map<string, string[]>;
  /** "heart-rate-1.x" → "1.1". */
  aliases: Map<string, string>;
}

let catalog: Catalog | undefined;

/**
 * Reads every schema into one ajv instance, once. Each Open mHealth schema is registered under
 * its file's URL, whatever `$id` it carries (body-weight 3.0 names itself 2.0 upstream). The
 * draft-04 schemas among them use no keyword whose meaning changed in draft-07, so one draft-07
 * instance checks them all; schemas compile on first use.
 */
function load(): Catalog {
  if (catalog) return catalog;
  const ajv = newAjv({ validateSchema: false });
  ajv.addVocabulary(['references', 'deprecation']);
  const versions = new Map<string, string[]>();
  const aliases = new Map<string, string>();
  for (const file of jsonFiles(omhSchemasDir)) {
    const text = readFileSync(join(omhSchemasDir, file), 'utf8').trim();
    if (!text.startsWith('{')) {
      // A "-1.x" alias: the file holds the name of the schema it stands for.
      ajv.addSchema({ $id: omhBase + file, allOf: [{ $ref: omhBase + text }] });
      const target = versionedName.exec(text);
      if (target) aliases.set(file.replace(/\.json$/, ''), target[2]);
      continue;
    }
    ajv.addSchema({ ...(JSON.parse(text) as object), $id: omhBase + file });
    const m = versionedName.exec(file);
    if (m) versions.set(m[1], [...(versions.get(m[1]) ?? []), m[2]]);
  }
  for (const file of jsonFiles(ieeeStandInsDir)) ajv.addSchema(JSON.parse(readFileSync(join(ieeeStandInsDir, file), 'utf8')) as object);
  for (const list of versions.values()) list.sort(compareVersions);
  catalog = { ajv, versions, aliases };
  return catalog;
}

/** The versions Serium holds of a schema, oldest first; empty when it has none. */
export function schemaVersions(name: string): string[] {
  return [...(load().versions.get(name) ?? [])];
}

/**
 * The concrete version a request names: the newest when none is given, the target of an alias
 * such as "1.x", the version itself when Serium holds it; otherwise undefined.
 */
export function resolveVersion(name: string, version?: string): string | undefined {
  const { versions, aliases } = load();
  const known = versions.get(name) ?? [];
  if (version === undefined) return known.at(-1);
  if (known.includes(version)) return version;
  return aliases.get(`${name}-${version}`);
}

/** Problems of a body against schema `name` `version` (a version Serium holds); empty when valid. */
export function checkBody(name: string, version: string, body: unknown): string[] {
  return check(`${name}-${version}.json`, body);
}

/** Problems of a data point ({header, body}) against data-point 1.0; the body itself is not checked. */
export function checkDataPoint(value: unknown): string[] {
  return check('data-point-1.0.json', value);
}

function check(file: string, value: unknown): string[] {
  const validate = load().ajv.getSchema(omhBase + file);
  if (!validate) throw new Error(`schema ${file} is not loaded`);
  return validate(value) ? [] : describeErrors(validate.errors);
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

function compareVersions(a: string, b: string): number {
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return am - bm || an - bn;
}
