import type { Handler } from '../fhir-request.js';

/** GET metadata: the CapabilityStatement built at start from the route table. */
export const capabilities: Handler = async (_req, ctx) => ({ status: 200, body: ctx.capabilityStatement() });
