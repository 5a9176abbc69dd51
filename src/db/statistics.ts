import type { Queryable } from './database.js';
import type { Logger } from '../logger.js';

/** Tables whose rows are taken soon after they are written: staged samples and their windows, the outbox, deliveries. */
const queues = ['ingest_sample', 'ingest_window', 'resource_event', 'subscription_delivery'];

/** Rows (as last analysed) from which a table is left to autovacuum. */
const largeTable = 100_000;

/**
 * Keeps the planner's statistics in step with bulk writes. PostgreSQL's autovacuum analyses a
 * table only after it changed by a tenth and at most once a minute per database; until then a
 * freshly loaded table looks empty to the planner, which then joins the search index tables by
 * nested loops and can turn a millisecond search into minutes. After every `every` writes this
 * analyses, in the background and one at a time, each table changed by more than a tenth since
 * its last analysis (the same rule, applied at once), as long as it holds fewer than 100,000 rows:
 * a bigger table's plans no longer change with a tenth more rows, while its analysis costs a full
 * sample (half a second for the search index), every few seconds when it grows fast. Those, and
 * the queues, are left to autovacuum (within a minute, by the same rule). The queues' rows
 * are taken soon after they are written, so they change by a tenth every few seconds under load,
 * and their readers go by index in queue order whatever the statistics say.
 */
export class StatisticsKeeper {
  private writes = 0;
  private running: Promise<void> | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly log: Logger,
    private readonly every: number,
  ) {}

  noteWrite(): void {
    if (this.every <= 0 || ++this.writes < this.every || this.running) return;
    this.writes = 0;
    this.running = this.refresh().finally(() => (this.running = undefined));
  }

  /** Resolves when no refresh is under way (for shutdown and tests). */
  async idle(): Promise<void> {
    await this.running;
  }

  private async refresh(): Promise<void> {
    // the backends report their writes to the statistics system within about a second
    await new Promise((r) => setTimeout(r, 1500).unref());
    try {
      const { rows } = await this.db.query<{ name: string }>(
        `SELECT format('%I.%I', t.schemaname, t.relname) AS name
           FROM pg_stat_user_tables t JOIN pg_class c ON c.oid = t.relid
          WHERE t.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0) AND c.reltuples < $2 AND NOT t.relname = ANY($1::text[])`,
        [queues, largeTable],
      );
      for (const { name } of rows) await this.db.query(`ANALYZE ${name}`);
      if (rows.length) this.log.debug('planner statistics refreshed', { tables: rows.length });
    } catch (err) {
      this.log.warn('planner statistics refresh failed', { error: (err as Error).message });
    }
  }
}
