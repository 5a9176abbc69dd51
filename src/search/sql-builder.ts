/** Collects positional parameters while SQL text is built. */
export class SqlBuilder {
  readonly params: unknown[] = [];

  add(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  /**
   * A placeholder that joins the parameters only when first used: PostgreSQL cannot type a
   * parameter that no clause refers to, and fails the whole statement.
   */
  lazy(value: unknown, cast = ''): () => string {
    let placeholder: string | undefined;
    return () => (placeholder ??= this.add(value) + cast);
  }
}

/** A condition on one search index table, correlated to the outer resource row `r`. */
export function indexExists(table: string, param: string, sql: SqlBuilder, match: string): string {
  return `EXISTS (SELECT 1 FROM search_${table} s WHERE s.tenant = r.tenant AND s.resource_type = r.resource_type
            AND s.id = r.id AND s.param = ${sql.add(param)}${match ? ` AND (${match})` : ''})`;
}
