import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../paths.js';

/** A subscription topic (the R5 SubscriptionTopic, as the R4 backport IG uses it): what event it names. */
export interface Topic {
  url: string;
  title: string;
  description: string;
  /** The writes that are events of this topic. */
  resourceTrigger: { resource: string; interactions: ('create' | 'update' | 'delete')[] }[];
  /** The search parameters a Subscription may filter on (backport-filter-criteria). */
  canFilterBy: { resource: string; filterParameter: string }[];
}

export const topicsDir = join(projectRoot(), 'subscriptions', 'topics');

/** The topics in subscriptions/topics/, one JSON file each; a malformed one stops the start with its name. */
export function loadTopics(dir = topicsDir): Map<string, Topic> {
  const topics = new Map<string, Topic>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const t = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Topic;
    const ok =
      typeof t.url === 'string' &&
      Array.isArray(t.resourceTrigger) &&
      t.resourceTrigger.every((r) => typeof r.resource === 'string' && Array.isArray(r.interactions)) &&
      Array.isArray(t.canFilterBy);
    if (!ok) throw new Error(`subscription topic ${file} needs url, resourceTrigger[] and canFilterBy[]`);
    topics.set(t.url, t);
  }
  return topics;
}
