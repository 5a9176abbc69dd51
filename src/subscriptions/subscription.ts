import type { Subscription } from '@medplum/fhirtypes';
import type { PayloadContent } from './notification-bundle.js';
import type { Topic } from './topics.js';

export const maxAttemptsUrl = 'https://serium.dev/fhir/StructureDefinition/subscription-max-attempts';
export const secretUrl = 'https://serium.dev/fhir/StructureDefinition/subscription-secret';
const ig = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';

/** What matching and delivery need of a Subscription resource. */
export interface SubscriptionTarget {
  id: string;
  status: Subscription['status'];
  /**
   * R4 criteria (a search URL such as Observation?code=...): its resource type and parameters.
   * For a topic-based Subscription, the filters of each resource type the topic triggers on.
   */
  resourceType: string;
  params: URLSearchParams;
  /** Set for a topic-based Subscription (backport IG): the topic its criteria names. */
  topic?: Topic;
  filters: Map<string, URLSearchParams>;
  /** The backport payload content; plain R4 Subscriptions send the resource or nothing. */
  content: PayloadContent;
  heartbeatSeconds?: number;
  channel: {
    type: string;
    endpoint: string;
    /** MIME type of the payload; absent means a notification without the resource. */
    payload?: string;
    /** "Name: value" lines sent as HTTP headers. */
    headers: string[];
    /** Seconds the endpoint may take (backport-timeout), when the Subscription sets it. */
    timeoutSeconds?: number;
  };
  /** Attempts before a notification is given up (then the Subscription turns to error). */
  maxAttempts?: number;
  /** When set, each request carries an HMAC-SHA256 signature made with it. */
  secret?: string;
}

type WithPrimitives = Subscription & {
  id: string;
  _criteria?: { extension?: { url: string; valueString?: string }[] };
  channel?: Subscription['channel'] & { _payload?: { extension?: { url: string; valueCode?: string }[] } };
};

/**
 * The Subscription as a delivery target, or a sentence saying why it cannot be one. Criteria is
 * either a topic's canonical URL (with backport-filter-criteria, "[Type.]param[:mod]=value") or
 * a search URL.
 */
export function subscriptionTarget(s: WithPrimitives, topics: ReadonlyMap<string, Topic>): SubscriptionTarget | string {
  const criteria = (s.criteria ?? '').trim();
  const ext = (url: string) => s.extension?.find((e) => e.url === url);
  const channelExt = (name: string) => s.channel?.extension?.find((e) => e.url === `${ig}/${name}`);
  const base = {
    id: s.id,
    status: s.status,
    channel: {
      type: s.channel?.type ?? '',
      endpoint: s.channel?.endpoint ?? '',
      ...(s.channel?.payload ? { payload: s.channel.payload } : {}),
      headers: s.channel?.header ?? [],
      timeoutSeconds: channelExt('backport-timeout')?.valueUnsignedInt,
    },
    maxAttempts: ext(maxAttemptsUrl)?.valueInteger ?? ext(maxAttemptsUrl)?.valuePositiveInt,
    secret: ext(secretUrl)?.valueString,
    heartbeatSeconds: channelExt('backport-heartbeat-period')?.valueUnsignedInt,
  };
  const topic = topics.get(criteria);
  if (topic) {
    const content = s.channel?._payload?.extension?.find((e) => e.url === `${ig}/backport-payload-content`)?.valueCode ?? 'id-only';
    if (!['empty', 'id-only', 'full-resource'].includes(content)) return `backport-payload-content must be empty, id-only or full-resource, not ${content}`;
    const filters = new Map<string, URLSearchParams>();
    for (const f of s._criteria?.extension?.filter((e) => e.url === `${ig}/backport-filter-criteria`) ?? []) {
      const m = /^(?:([A-Z][A-Za-z]+)\.)?([^=]+)=(.*)$/.exec(f.valueString ?? '');
      if (!m) return `backport-filter-criteria "${f.valueString}" is not [Type.]param=value`;
      const [, type, key, value] = m;
      const name = key.split(':')[0];
      const allowed = topic.canFilterBy.filter((c) => c.filterParameter === name && (!type || c.resource === type));
      if (!allowed.length) return `topic ${topic.url} cannot be filtered by ${type ? `${type}.` : ''}${name}`;
      for (const { resource } of allowed) {
        const params = filters.get(resource) ?? new URLSearchParams();
        params.append(key, value);
        filters.set(resource, params);
      }
    }
    return { ...base, resourceType: topic.resourceTrigger[0].resource, params: new URLSearchParams(), topic, filters, content: content as PayloadContent };
  }
  const match = /^([A-Z][A-Za-z]+)(?:\?(.*))?$/.exec(criteria);
  if (!match) return 'criteria must be a search URL such as Observation?code=http://loinc.org|8867-4, or the URL of a topic this server offers';
  return {
    ...base,
    resourceType: match[1],
    params: new URLSearchParams(match[2] ?? ''),
    filters: new Map(),
    content: s.channel?.payload ? 'full-resource' : 'empty',
  };
}

/** The search that decides whether a resource of this type is an event for the Subscription (undefined: the type is not one it watches). */
export function criteriaFor(t: SubscriptionTarget, resourceType: string, action: string): URLSearchParams | undefined {
  if (t.topic) {
    const triggered = t.topic.resourceTrigger.some((r) => r.resource === resourceType && (r.interactions as string[]).includes(action));
    return triggered ? new URLSearchParams(t.filters.get(resourceType) ?? '') : undefined;
  }
  return t.resourceType === resourceType && action !== 'delete' ? new URLSearchParams(t.params) : undefined;
}
