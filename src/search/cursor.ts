import { createHash } from 'node:crypto';
import { badRequest } from '../fhir/outcome.js';
import type { SortKey } from './sort.js';

/**
 * A position in a sorted search: the sort values and id of one row, and whether the page wanted
 * lies after that row (next links) or before it (previous links).
 */
export interface Cursor {
  before: boolean;
  values: (string | null)[];
  id: string;
}

const maxLength = 4096;

/**
 * The text of a _cursor parameter: base64url JSON of the position, a dot, and a checksum over the
 * position, the resource type and the sort. The checksum catches a cursor that was edited or is
 * reused with another _sort; it is not a secret signature, and need not be: a forged cursor only
 * moves where a page of a search the client may run anyway begins.
 */
export function encodeCursor(c: Cursor, binding: string): string {
  const body = Buffer.from(JSON.stringify([c.before ? 'b' : 'a', c.values, c.id])).toString('base64url');
  return `${body}.${checksum(binding, body)}`;
}

/** Reads a _cursor for the given sort keys; anything malformed or altered is a 400. */
export function decodeCursor(raw: string, binding: string, keys: SortKey[]): Cursor {
  const bad = (why: string) => badRequest(`_cursor is not valid for this search (${why}); follow the links of a searchset`, ['_cursor']);
  if (raw.length > maxLength) throw bad('too long');
  const [body, check, ...rest] = raw.split('.');
  if (!body || !check || rest.length || !/^[A-Za-z0-9_-]+$/.test(body)) throw bad('malformed');
  if (check !== checksum(binding, body)) throw bad('checksum mismatch: altered, or made for another search');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw bad('malformed');
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw bad('malformed');
  const [dir, values, id] = parsed as unknown[];
  if ((dir !== 'a' && dir !== 'b') || typeof id !== 'string' || !id || !Array.isArray(values) || values.length !== keys.length) {
    throw bad('malformed');
  }
  values.forEach((v, i) => {
    if (!valueFits(v, keys[i])) throw bad(`bad value for ${keys[i].name}`);
  });
  return { before: dir === 'b', values: values as (string | null)[], id };
}

/** What binds a cursor to one search's order: the resource types and the sort keys with their types. */
export function cursorBinding(types: readonly string[], keys: SortKey[]): string {
  return [types.join(','), ...keys.map((k) => `${k.desc ? '-' : ''}${k.name}:${k.type}`)].join('|');
}

function checksum(binding: string, body: string): string {
  return createHash('sha256').update(binding).update('\n').update(body).digest('base64url').slice(0, 16);
}

const numeric = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;
// as to_json prints a timestamptz, or an open end of a period
const instant = /^(-?infinity|\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?([-+]\d\d(:\d\d){0,2}|Z))$/;

function valueFits(v: unknown, key: SortKey): boolean {
  if (v === null) return key.nullable;
  if (typeof v !== 'string') return false;
  if (key.type === 'numeric') return numeric.test(v);
  if (key.type === 'timestamptz') return instant.test(v);
  return true;
}
