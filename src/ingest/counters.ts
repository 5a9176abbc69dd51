import type { RejectReason } from './reading.js';

/** What the ingest has done since start; served on /metrics. */
export class IngestCounters {
  messages = 0;
  observationsCreated = 0;
  duplicates = 0;
  samplesStaged = 0;
  windowsPacked = 0;
  batches = 0;
  retries = 0;
  readonly rejected = new Map<RejectReason, number>();

  reject(reason: RejectReason): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
  }

  /** Prometheus text exposition. */
  text(): string {
    const lines = [
      '# TYPE serium_ingest_messages_total counter',
      `serium_ingest_messages_total ${this.messages}`,
      '# TYPE serium_ingest_observations_created_total counter',
      `serium_ingest_observations_created_total ${this.observationsCreated}`,
      '# TYPE serium_ingest_duplicates_total counter',
      `serium_ingest_duplicates_total ${this.duplicates}`,
      '# TYPE serium_ingest_samples_staged_total counter',
      `serium_ingest_samples_staged_total ${this.samplesStaged}`,
      '# TYPE serium_ingest_windows_packed_total counter',
      `serium_ingest_windows_packed_total ${this.windowsPacked}`,
      '# TYPE serium_ingest_batches_total counter',
      `serium_ingest_batches_total ${this.batches}`,
      '# TYPE serium_ingest_write_retries_total counter',
      `serium_ingest_write_retries_total ${this.retries}`,
      '# TYPE serium_ingest_rejected_total counter',
      ...[...this.rejected].map(([reason, n]) => `serium_ingest_rejected_total{reason="${reason}"} ${n}`),
    ];
    return lines.join('\n') + '\n';
  }
}
