import { badRequest, FhirError } from '../fhir/outcome.js';
import type { SearchContext } from './search.js';
import type { SqlBuilder } from './sql-builder.js';

/**
 * The condition that a resource of `resourceType` belongs to the compartment `type/id`: one of
 * the compartment definition's parameters refers to it (R4 compartmentdefinition.html). The
 * compartment's own resource is a member of itself.
 */
export function compartmentCondition(ctx: SearchContext, compartment: { type: string; id: string }, resourceType: string, sql: SqlBuilder): string {
  const definition = ctx.defs.compartments.get(compartment.type);
  if (!definition) throw new FhirError('not-supported', `There is no ${compartment.type} compartment; Serium knows ${[...ctx.defs.compartments.keys()].join(', ')}`, { status: 404 });
  const params = definition.members.get(resourceType);
  if (!params) throw badRequest(`${resourceType} resources are not in the ${compartment.type} compartment`);
  const member = `EXISTS (SELECT 1 FROM search_reference s WHERE s.tenant = r.tenant AND s.resource_type = r.resource_type
            AND s.id = r.id AND s.param = ANY(${sql.add(params)}::text[])
            AND s.target_type = ${sql.add(compartment.type)} AND s.target_id = ${sql.add(compartment.id)})`;
  return resourceType === compartment.type ? `(r.id = ${sql.add(compartment.id)} OR ${member})` : member;
}
