import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4';
import { tryGetDataType } from '@medplum/core';
import type { Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import { badRequest, FhirError } from '../fhir/outcome.js';
import { capitalise, isObject, type Obj } from '../fhir/json.js';

/** What fhirpath.js hands back with resolveInternalTypes off: the value and where it sits. */
interface Node {
  data: unknown;
  parentResNode?: Node | null;
  propName?: string;
  index?: number;
}



/**
 * Applies a FHIRPath Patch (R4 fhirpatch.html): a Parameters resource whose `operation`
 * parameters add, insert, delete, replace or move elements found by FHIRPath.
 */
export function applyFhirPathPatch(resource: Resource, patch: Parameters): Resource {
  const doc = structuredClone(resource) as unknown as Obj;
  const operations = (patch.parameter ?? []).filter((p) => p.name === 'operation');
  if (!operations.length) throw badRequest('A FHIRPath Patch needs at least one "operation" parameter');
  operations.forEach((op, i) => applyOne(doc, op, `Parameters.parameter[${i}]`));
  return doc as unknown as Resource;
}

function applyOne(doc: Obj, op: ParametersParameter, where: string): void {
  const part = (name: string) => op.part?.find((p) => p.name === name);
  const type = part('type')?.valueCode;
  const path = part('path')?.valueString;
  if (!type || !path) throw badRequest(`${where}: an operation needs a type and a path`, [where]);
  const nodes = evaluate(doc, path, where);
  const fail = (message: string): never => {
    throw new FhirError('processing', `${where} (${type} ${path}): ${message}`, { expression: [where] });
  };
  switch (type) {
    case 'add': {
      const name = part('name')?.valueString;
      if (!name) fail('add needs a name');
      if (nodes.length !== 1 || !isObject(nodes[0].data)) fail('the path must select exactly one element');
      const container = nodes[0].data as Obj;
      const value = valueOf(part('value'), fail);
      const existing = container[name as string];
      if (Array.isArray(existing)) existing.push(value);
      else if (existing !== undefined) fail(`${name} already has a value`);
      else container[name as string] = isRepeating(nodes[0], name as string) ? [value] : value;
      break;
    }
    case 'insert':
    case 'move': {
      const list = listAt(doc, path, where, fail);
      if (type === 'insert') {
        const index = part('index')?.valueInteger;
        if (index === undefined || index < 0 || index > list.length) fail(`index must be between 0 and ${list.length}`);
        list.splice(index as number, 0, valueOf(part('value'), fail));
      } else {
        const source = part('source')?.valueInteger;
        const destination = part('destination')?.valueInteger;
        const inRange = (n: number | undefined) => n !== undefined && n >= 0 && n < list.length;
        if (!inRange(source) || !inRange(destination)) fail(`source and destination must be between 0 and ${list.length - 1}`);
        const [item] = list.splice(source as number, 1);
        list.splice(destination as number, 0, item);
      }
      break;
    }
    case 'delete':
    case 'replace': {
      if (nodes.length === 0) {
        if (type === 'delete') return;
        fail('the path selects nothing');
      }
      if (nodes.length > 1) fail('the path selects more than one element');
      const node = nodes[0];
      const parent = node.parentResNode?.data as Obj | undefined;
      const key = node.propName;
      if (!parent || !key) fail('the resource itself cannot be deleted or replaced');
      const slot = parent as Obj;
      const current = slot[key as string];
      if (type === 'replace') {
        const value = valueOf(part('value'), fail);
        if (Array.isArray(current)) current[node.index ?? 0] = value;
        else slot[key as string] = value;
      } else if (Array.isArray(current)) {
        current.splice(node.index ?? 0, 1);
        if (!current.length) delete slot[key as string];
      } else {
        delete slot[key as string];
      }
      break;
    }
    default:
      throw badRequest(`${where}: unknown operation type "${type}"`, [where]);
  }
}

function evaluate(doc: Obj, path: string, where: string): Node[] {
  try {
    return fhirpath.evaluate(doc, path, undefined, r4, { resolveInternalTypes: false }) as Node[];
  } catch (err) {
    throw badRequest(`${where}: invalid FHIRPath "${path}": ${(err as Error).message}`, [where]);
  }
}

/** The list a path names: "X.name" for insert and move, created empty when absent. */
function listAt(doc: Obj, path: string, where: string, fail: (m: string) => never): unknown[] {
  const m = /^(.*)\.([a-zA-Z][a-zA-Z0-9]*)$/.exec(path);
  if (!m) fail('the path must end with the name of a repeating element');
  const owners = evaluate(doc, (m as RegExpExecArray)[1], where);
  if (owners.length !== 1 || !isObject(owners[0].data)) fail('the path must select exactly one list');
  const owner = owners[0].data as Obj;
  const name = (m as RegExpExecArray)[2];
  if (owner[name] === undefined) owner[name] = [];
  if (!Array.isArray(owner[name])) fail(`${name} is not a list`);
  return owner[name] as unknown[];
}

/** The value of an operation's `value` part: a value[x], or a complex value built from its parts. */
function valueOf(p: ParametersParameter | undefined, fail: (m: string) => never): unknown {
  if (!p) return fail('a value is needed');
  for (const [k, v] of Object.entries(p)) if (k.startsWith('value')) return v;
  if (p.part?.length) {
    const out: Obj = {};
    for (const child of p.part) {
      const v = valueOf(child, fail);
      const prev = out[child.name];
      out[child.name] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    return out;
  }
  return fail('a value is needed');
}

/** Whether element `name` of the node's type repeats, from the R4 definitions. */
function isRepeating(node: Node, name: string): boolean {
  const type = typeOf(node);
  const el = type ? tryGetDataType(type)?.elements[name] : undefined;
  return !!el && (el.isArray || el.max > 1);
}

function typeOf(node: Node): string | undefined {
  if (!node.parentResNode) return (node.data as Obj)?.resourceType as string | undefined;
  const parentType = typeOf(node.parentResNode);
  const schema = parentType ? tryGetDataType(parentType) : undefined;
  const prop = node.propName ?? '';
  const el = schema?.elements[prop];
  if (el) return el.type[0]?.code;
  for (const [n, e] of Object.entries(schema?.elements ?? {})) {
    if (!n.endsWith('[x]')) continue;
    const t = e.type.find((t) => prop === n.slice(0, -3) + capitalise(t.code));
    if (t) return t.code;
  }
  return undefined;
}

