import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { metrics } from '../src/ingest/reading.js';
import { testDataDir } from './test-data.js';

/** A test body of the Open mHealth schema library: its path, the topic level naming its schema, the body. */
export type Case = [name: string, segment: string, body: unknown];

/** Every shouldPass or shouldFail body of the ten schemas Serium ingests, in a stable order. */
export function libraryCases(kind: 'shouldPass' | 'shouldFail'): Case[] {
  const out: Case[] = [];
  for (const schema of metrics) {
    for (const version of readdirSync(join(testDataDir(), 'openmhealth', schema)).sort()) {
      const dir = join(testDataDir(), 'openmhealth', schema, version, kind);
      if (!existsSync(dir)) continue;
      for (const file of readdirSync(dir).sort()) {
        out.push([`${schema}/${version}/${kind}/${file}`, `${schema}@${version}`, JSON.parse(readFileSync(join(dir, file), 'utf8'))]);
      }
    }
  }
  return out;
}
