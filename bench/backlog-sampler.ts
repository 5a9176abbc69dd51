/**
 * Samples, every second while an ingest benchmark runs, how far behind the subscription
 * pipeline is: events the main matching pass has not taken yet, events the urgent pass has not,
 * and due notifications of urgent bots not yet claimed, each with the oldest one's age. It tells
 * the matching's share of an alert's latency from the sending's. With the server's /metrics URL it
 * also reads how many routine bot runs the server allowed at each sample.
 */
type Sql = <T>(text: string, params?: unknown[]) => Promise<T[]>;

interface Sample {
  events: number;
  eventAgeMs: number;
  unmatched: number;
  unmatchedAgeMs: number;
  urgent: number;
  urgentAgeMs: number;
  /** Routine bot runs allowed at once (serium_routine_bot_places). */
  places?: number;
}

export function sampleBacklog(sql: Sql, metricsUrl?: string): { stop(): Promise<string[]> } {
  const samples: Sample[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const [row] = await sql<Sample>(
        `SELECT (SELECT count(*) FROM resource_event)::int AS "events",
                coalesce((SELECT extract(epoch FROM clock_timestamp() - min(at)) * 1000 FROM resource_event), 0)::float8 AS "eventAgeMs",
                (SELECT count(*) FROM resource_event WHERE NOT urgent_matched)::int AS "unmatched",
                coalesce((SELECT extract(epoch FROM clock_timestamp() - min(at)) * 1000 FROM resource_event WHERE NOT urgent_matched), 0)::float8 AS "unmatchedAgeMs",
                (SELECT count(*) FROM subscription_delivery WHERE status = 'pending' AND priority > 0 AND next_attempt_at <= clock_timestamp())::int AS "urgent",
                coalesce((SELECT extract(epoch FROM clock_timestamp() - min(next_attempt_at)) * 1000 FROM subscription_delivery
                           WHERE status = 'pending' AND priority > 0 AND next_attempt_at <= clock_timestamp()), 0)::float8 AS "urgentAgeMs"`,
      );
      if (metricsUrl) {
        const text = await (await fetch(metricsUrl)).text();
        const places = /^serium_routine_bot_places (\d+)$/m.exec(text)?.[1];
        if (places !== undefined) row.places = Number(places);
      }
      samples.push(row);
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      const worst = (f: (s: Sample) => number) => Math.max(0, ...samples.map(f));
      const median = (f: (s: Sample) => number) => samples.map(f).sort((a, b) => a - b)[Math.floor(samples.length / 2)] ?? 0;
      const placed = samples.flatMap((s) => (s.places === undefined ? [] : [s.places]));
      const shares = [...new Set(placed)].sort((a, b) => a - b).map((n) => `${n}: ${((placed.filter((p) => p === n).length / placed.length) * 100).toFixed(0)} %`);
      return [
        ...(placed.length ? [`| routine bot runs allowed at once, share of samples | ${shares.join(', ')} |`] : []),
        `| events waiting for the main pass, median / most (${samples.length} samples) | ${median((s) => s.events)} / ${worst((s) => s.events)}; oldest ${median((s) => s.eventAgeMs).toFixed(0)} / ${worst((s) => s.eventAgeMs).toFixed(0)} ms |`,
        `| events waiting for the urgent pass, median / most | ${median((s) => s.unmatched)} / ${worst((s) => s.unmatched)}; oldest ${median((s) => s.unmatchedAgeMs).toFixed(0)} / ${worst((s) => s.unmatchedAgeMs).toFixed(0)} ms |`,
        `| due urgent notifications not yet claimed, median / most | ${median((s) => s.urgent)} / ${worst((s) => s.urgent)}; oldest ${median((s) => s.urgentAgeMs).toFixed(0)} / ${worst((s) => s.urgentAgeMs).toFixed(0)} ms |`,
      ];
    },
  };
}
