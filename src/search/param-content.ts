import { badRequest } from '../fhir/outcome.js';
import { escapeLike, normalizeString } from './normalize.js';
import type { SqlBuilder } from './sql-builder.js';

/**
 * _text and _content (R4 search.html#text), answered from the stored JSON of the current version,
 * without an index: each value is a case- and accent-insensitive substring, and comma-separated
 * values match any of them. No stemming and no boolean syntax.
 *
 * - _text: the narrative, Resource.text.div with its markup removed (tags become spaces; &lt; &gt;
 *   &quot; &apos; &nbsp; and &amp; are decoded).
 * - _content: any string value anywhere in the resource (names, codes, displays, identifiers,
 *   URLs, ids, extensions), and the narrative as for _text.
 */
export const textDocumentation: Record<string, string> = {
  _text:
    'Case- and accent-insensitive substring of the narrative text (text.div without markup); comma-separated values match any. Not indexed: combine it with other parameters on large types.',
  _content:
    'Case- and accent-insensitive substring of any string value of the resource (names, codes, displays, identifiers, URLs) or of its narrative text; comma-separated values match any. No stemming or boolean syntax. Not indexed: combine it with other parameters on large types.',
};

/** Folds case, accents and whitespace in SQL as normalizeString does in JavaScript. */
const fold = (expr: string) =>
  `regexp_replace(lower(regexp_replace(normalize(${expr}, NFD), '[\\u0300-\\u036f]', '', 'g')), '\\s+', ' ', 'g')`;

/** The narrative of the JSON document c.content as plain text. */
const narrative = (() => {
  let x = `regexp_replace(c.content::jsonb #>> '{text,div}', '<[^>]*>', ' ', 'g')`;
  for (const [entity, char] of [['&lt;', '<'], ['&gt;', '>'], ['&quot;', '"'], ['&apos;', "''"], ['&nbsp;', ' '], ['&amp;', '&']]) {
    x = `replace(${x}, '${entity}', '${char}')`;
  }
  return x;
})();

const strings = `jsonb_path_query(c.content::jsonb - 'text', 'strict $.** ? (@.type() == "string")')`;

/** The current version's row c of the outer resource row r, restricted by a condition on c.content. */
const onContent = (condition: string) =>
  `EXISTS (SELECT 1 FROM resource_version c WHERE c.tenant = r.tenant AND c.resource_type = r.resource_type
            AND c.id = r.id AND c.version_id = r.version_id AND (${condition}))`;

export function textCondition(name: '_text' | '_content', modifier: string | undefined, values: string[], sql: SqlBuilder): string {
  if (modifier === 'missing') {
    const v = values.join(',');
    if (v !== 'true' && v !== 'false') throw badRequest(`${name}:missing must be true or false`);
    // every resource has content; a narrative may be absent
    const exists = name === '_content' ? 'true' : onContent(`c.content::jsonb #> '{text,div}' IS NOT NULL`);
    return v === 'true' ? `NOT ${exists}` : exists;
  }
  const patterns = values.map((v) => normalizeString(v)).filter(Boolean).map((v) => `%${escapeLike(v)}%`);
  if (!patterns.length) throw badRequest(`Parameter ${name} has no value`);
  const any = `ANY(${sql.add(patterns)}::text[])`;
  const inNarrative = `${fold(narrative)} LIKE ${any}`;
  if (name === '_text') return onContent(inNarrative);
  return onContent(`EXISTS (SELECT 1 FROM ${strings} x WHERE ${fold(`x #>> '{}'`)} LIKE ${any}) OR ${inNarrative}`);
}
