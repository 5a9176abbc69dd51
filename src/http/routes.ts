import { create } from './interactions/create.js';
import { read } from './interactions/read.js';
import { vread } from './interactions/vread.js';
import { update, conditionalUpdate } from './interactions/update.js';
import { patch, conditionalPatch } from './interactions/patch.js';
import { remove, conditionalDelete } from './interactions/delete.js';
import { history } from './interactions/history.js';
import { searchType } from './interactions/search-type.js';
import { searchSystem } from './interactions/search-system.js';
import { batch } from './interactions/batch.js';
import { capabilities } from './interactions/capabilities.js';
import { resourceValidate } from '../operations/resource-validate.js';
import { observationLastn } from '../operations/observation-lastn.js';
import { observationStats } from '../operations/observation-stats.js';
import { subscriptionEventsOperation } from '../operations/subscription-events.js';
import { subscriptionReplay } from '../operations/subscription-replay.js';
import { subscriptionStatusOperation } from '../operations/subscription-status.js';
import { subscriptionWsToken } from '../operations/subscription-ws-token.js';
import type { Handler } from './fhir-request.js';

export type Level = 'system' | 'type' | 'instance';

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Segments below the FHIR base; ":type", ":id" and ":vid" are parameters. */
  pattern: string;
  handler: Handler;
  level: Level;
  /** The CapabilityStatement interaction code, or the operation name. */
  interaction?: string;
  operation?: string;
  conditional?: boolean;
  /** A compartment search: [compartment type]/[id]/[member type]. */
  compartment?: boolean;
  /** The one resource type this route serves (a type-specific operation); all when absent. */
  resourceType?: string;
}

/** Every FHIR endpoint Serium serves. The CapabilityStatement is generated from this table. */
export const routes: Route[] = [
  { method: 'GET', pattern: 'metadata', handler: capabilities, level: 'system', interaction: 'capabilities' },
  { method: 'POST', pattern: '', handler: batch, level: 'system', interaction: 'transaction' },
  { method: 'GET', pattern: '_history', handler: history, level: 'system', interaction: 'history-system' },
  { method: 'GET', pattern: '', handler: searchSystem, level: 'system', interaction: 'search-system' },
  { method: 'POST', pattern: '_search', handler: searchSystem, level: 'system', interaction: 'search-system' },

  { method: 'GET', pattern: ':type/_history', handler: history, level: 'type', interaction: 'history-type' },
  { method: 'POST', pattern: ':type/_search', handler: searchType, level: 'type', interaction: 'search-type' },
  { method: 'GET', pattern: 'Observation/$lastn', handler: observationLastn, level: 'type', operation: 'lastn', resourceType: 'Observation' },
  { method: 'POST', pattern: 'Observation/$lastn', handler: observationLastn, level: 'type', operation: 'lastn', resourceType: 'Observation' },
  { method: 'GET', pattern: 'Observation/$stats', handler: observationStats, level: 'type', operation: 'stats', resourceType: 'Observation' },
  { method: 'POST', pattern: 'Observation/$stats', handler: observationStats, level: 'type', operation: 'stats', resourceType: 'Observation' },
  { method: 'POST', pattern: ':type/$validate', handler: resourceValidate, level: 'type', operation: 'validate' },
  { method: 'GET', pattern: ':type', handler: searchType, level: 'type', interaction: 'search-type' },
  { method: 'POST', pattern: ':type', handler: create, level: 'type', interaction: 'create' },
  { method: 'PUT', pattern: ':type', handler: conditionalUpdate, level: 'type', interaction: 'update', conditional: true },
  { method: 'PATCH', pattern: ':type', handler: conditionalPatch, level: 'type', interaction: 'patch', conditional: true },
  { method: 'DELETE', pattern: ':type', handler: conditionalDelete, level: 'type', interaction: 'delete', conditional: true },

  { method: 'GET', pattern: ':type/:id/_history/:vid', handler: vread, level: 'instance', interaction: 'vread' },
  { method: 'GET', pattern: ':type/:id/_history', handler: history, level: 'instance', interaction: 'history-instance' },
  { method: 'GET', pattern: ':type/:id/$validate', handler: resourceValidate, level: 'instance', operation: 'validate' },
  { method: 'POST', pattern: ':type/:id/$validate', handler: resourceValidate, level: 'instance', operation: 'validate' },
  { method: 'POST', pattern: 'Subscription/:id/$replay', handler: subscriptionReplay, level: 'instance', operation: 'replay', resourceType: 'Subscription' },
  { method: 'GET', pattern: 'Subscription/:id/$status', handler: subscriptionStatusOperation, level: 'instance', operation: 'status', resourceType: 'Subscription' },
  { method: 'POST', pattern: 'Subscription/:id/$status', handler: subscriptionStatusOperation, level: 'instance', operation: 'status', resourceType: 'Subscription' },
  { method: 'GET', pattern: 'Subscription/:id/$events', handler: subscriptionEventsOperation, level: 'instance', operation: 'events', resourceType: 'Subscription' },
  { method: 'POST', pattern: 'Subscription/:id/$events', handler: subscriptionEventsOperation, level: 'instance', operation: 'events', resourceType: 'Subscription' },
  { method: 'GET', pattern: 'Subscription/:id/$get-ws-binding-token', handler: subscriptionWsToken, level: 'instance', operation: 'get-ws-binding-token', resourceType: 'Subscription' },
  { method: 'POST', pattern: 'Subscription/:id/$get-ws-binding-token', handler: subscriptionWsToken, level: 'instance', operation: 'get-ws-binding-token', resourceType: 'Subscription' },
  { method: 'GET', pattern: ':type/:id/:memberType', handler: searchType, level: 'instance', compartment: true },
  { method: 'POST', pattern: ':type/:id/:memberType/_search', handler: searchType, level: 'instance', compartment: true },
  { method: 'GET', pattern: ':type/:id', handler: read, level: 'instance', interaction: 'read' },
  { method: 'PUT', pattern: ':type/:id', handler: update, level: 'instance', interaction: 'update' },
  { method: 'PATCH', pattern: ':type/:id', handler: patch, level: 'instance', interaction: 'patch' },
  { method: 'DELETE', pattern: ':type/:id', handler: remove, level: 'instance', interaction: 'delete' },
];

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

/** Finds the route for a method and path; `methodAllowed` tells a 405 from a 404. */
export function matchRoute(method: string, path: string): RouteMatch | { methodAllowed: false; pathKnown: boolean } {
  const segments = path === '' ? [] : path.split('/');
  let pathKnown = false;
  for (const route of routes) {
    const pattern = route.pattern === '' ? [] : route.pattern.split('/');
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const ok = pattern.every((p, i) => {
      const s = decodeURIComponent(segments[i]);
      if (p.startsWith(':')) {
        if (s.startsWith('_') || s.startsWith('$') || s === '') return false;
        params[p.slice(1)] = s;
        return true;
      }
      return p === s;
    });
    if (!ok) continue;
    pathKnown = true;
    if (route.method === method) return { route, params };
  }
  return { methodAllowed: false, pathKnown };
}
