import type { Queryable } from '../db/database.js';
import { currentVersionJoin, fromRecord, type StoredVersion, versionColumns, type VersionRecord } from '../repository/stored.js';
import type { Cursor } from './cursor.js';
import type { SortColumn } from './sort.js';
import type { SqlBuilder } from './sql-builder.js';

/** One page of matches in sort order, with the positions of its first and last rows. */
export interface Page {
  entries: StoredVersion[];
  /** Whether rows exist beyond the page in the direction it was read (after it, or before it for a cursor reading backwards). */
  more: boolean;
  first?: Position;
  last?: Position;
}

export interface Position {
  values: (string | null)[];
  id: string;
}

/**
 * Keyset paging: the rows of the order `keys, id` strictly after the cursor's position (or, for a
 * cursor pointing backwards, the rows strictly before it, read in the reversed order and then
 * turned round). A row's place depends only on its own values, so writes between page requests
 * never shift unchanged rows across a page boundary: none is repeated, none skipped. The id ends
 * the order, so it is total (over several types the keys end with the type). `where` is the
 * search's condition on the resource row r.
 */
export async function fetchPage(
  q: Queryable,
  sql: SqlBuilder,
  where: string,
  keys: SortColumn[],
  cursor: Cursor | undefined,
  count: number,
  offset: number,
): Promise<Page> {
  const reversed = cursor?.before ?? false;
  const conditions = [where];
  if (cursor) conditions.push(...afterCondition(keys, cursor, reversed, sql));
  const inner = orderBy(keys.map((k) => k.expr), 'r.id', keys, reversed);
  const outer = orderBy(keys.map((_, i) => `r.o${i}`), 'r.id', keys, reversed);
  // Sort and cut the page on the resource rows and their sort values alone, then read the page's
  // versions: the content of rows that do not make the page is never fetched.
  const { rows } = await q.query<VersionRecord & Record<string, string | null>>(
    `SELECT ${versionColumns}${keys.map((_, i) => `, to_json(r.o${i}) #>> '{}' AS k${i}`).join('')}
       FROM (SELECT r.tenant, r.resource_type, r.id, r.version_id${keys.map((k, i) => `, ${k.expr} AS o${i}`).join('')}
               FROM resource r
               ${keys.map((k) => k.join).filter(Boolean).join('\n               ')}
              WHERE ${conditions.join('\n                AND ')}
              ORDER BY ${inner}
              LIMIT ${sql.add(count + 1)}${offset ? ` OFFSET ${sql.add(offset)}` : ''}) r
       ${currentVersionJoin}
      ORDER BY ${outer}`,
    sql.params,
  );
  const more = rows.length > count;
  const page = rows.slice(0, count);
  if (reversed) page.reverse();
  const position = (row: Record<string, unknown>): Position => ({
    values: keys.map((_, i) => row[`k${i}`] as string | null),
    id: row.id as string,
  });
  return {
    entries: page.map(fromRecord),
    more,
    first: page.length ? position(page[0]) : undefined,
    last: page.length ? position(page[page.length - 1]) : undefined,
  };
}

/**
 * ORDER BY for the keys then the id. Missing values (NULL) sort last in both directions; reading
 * backwards flips every direction and puts them first.
 */
function orderBy(exprs: string[], id: string, keys: SortColumn[], reversed: boolean): string {
  const parts = exprs.map((e, i) => {
    const desc = keys[i].desc !== reversed;
    const nulls = keys[i].nullable ? (reversed ? ' NULLS FIRST' : ' NULLS LAST') : '';
    return `${e} ${desc ? 'DESC' : 'ASC'}${nulls}`;
  });
  return [...parts, `${id} ${reversed ? 'DESC' : 'ASC'}`].join(', ');
}

/**
 * Rows strictly after the cursor in the order being read, as nested OR/AND over the keys (the
 * directions may differ from key to key, so a single row-value comparison cannot say it):
 * after(k1) OR (k1 = v1 AND (after(k2) OR (k2 = v2 AND ... id > cursor id))). With a leading key
 * that is never NULL, a plain bound on it is added too, which an index on that column can use.
 */
function afterCondition(keys: SortColumn[], cursor: Cursor, reversed: boolean, sql: SqlBuilder): string[] {
  let condition = `r.id ${reversed ? '<' : '>'} ${sql.add(cursor.id)}`;
  const bounds: string[] = [];
  for (let i = keys.length - 1; i >= 0; i--) {
    const k = keys[i];
    const v = cursor.values[i];
    const desc = k.desc !== reversed;
    // read forwards, NULLs come after every value; read backwards, before every value
    const nullsAfter = !reversed;
    let after: string;
    let equal: string;
    if (v === null) {
      after = nullsAfter ? 'false' : `${k.expr} IS NOT NULL`;
      equal = `${k.expr} IS NULL`;
    } else {
      const value = `${sql.add(v)}::${k.type}`;
      after = `${k.expr} ${desc ? '<' : '>'} ${value}`;
      if (k.nullable && nullsAfter) after = `(${after} OR ${k.expr} IS NULL)`;
      equal = `${k.expr} = ${value}`;
      if (i === 0 && !k.nullable) bounds.push(`${k.expr} ${desc ? '<=' : '>='} ${value}`);
    }
    condition = after === 'false' ? `(${equal} AND ${condition})` : `(${after} OR (${equal} AND ${condition}))`;
  }
  return [...bounds, condition];
}
