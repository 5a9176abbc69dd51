import type { SearchParameter } from '@medplum/fhirtypes';
import { dateRange } from '../fhir/date-range.js';
import { compileExtractor, type Extractor, type Found } from './compile-path.js';
import { compileComposite, type CompositeExtractor, type PartType } from './composite.js';
import { canonicalOf } from './ucum.js';
import { ofTypeRows, referenceIdentifierRows } from './derived-rows.js';
import { normalizeString } from './normalize.js';
import { isRowParam } from './row-params.js';
import { localReference } from './local-reference.js';
import type { Definitions } from '../fhir/definitions.js';
import type { Terminology } from '../fhir/terminology.js';

/** Values of one resource for every search parameter table; each row starts with the parameter code. */
export interface IndexRows {
  token: [string, string | null, string | null, string | null][];
  string: [string, string, string][];
  date: [string, string, string][];
  reference: [string, string | null, string | null, string | null][];
  number: [string, string][];
  /** value, system, code, unit, then the value and unit in UCUM base units when it has them. */
  quantity: [string, ...QuantityValue][];
  uri: [string, string][];
  /** A composite's token (system, code) and, from the same element, the second component's value. */
  composite: [string, string | null, string, ...CompositeValue][];
}

type QuantityValue = [string, string | null, string | null, string | null, string | null, string | null];

/**
 * The second component of a composite row, in the columns of its type (the others null): token
 * system and code; quantity system, code, value, unit and canonical value and unit; date lo and
 * hi; string normalised and as written.
 */
type CompositeValue = [
  v_system: string | null,
  v_code: string | null,
  v_value: string | null,
  v_unit: string | null,
  v_canonical_value: string | null,
  v_canonical_code: string | null,
  v_lo: string | null,
  v_hi: string | null,
  v_string: string | null,
  v_exact: string | null,
];

export const indexTables = ['token', 'string', 'date', 'reference', 'number', 'quantity', 'uri', 'composite'] as const;
export type IndexTable = (typeof indexTables)[number];

type Obj = Record<string, any>;

function tokens(f: Found, systemOf: (valueSet: string) => string | null): [string | null, string | null, string | null][] {
  const v = f.value as Obj;
  switch (f.type) {
    case 'CodeableConcept': {
      const codings: Obj[] = v.coding ?? [];
      const out = codings.map((c) => [c.system ?? null, c.code ?? null, c.display ?? v.text ?? null] as [any, any, any]);
      // :text searches CodeableConcept.text as well as each display: a row of its own when it differs
      if (v.text && !out.some((row) => row[2] === v.text)) out.push([null, null, v.text]);
      return out;
    }
    case 'Coding':
      return [[v.system ?? null, v.code ?? null, v.display ?? null]];
    case 'Identifier':
      return [[v.system ?? null, v.value ?? null, v.type?.text ?? null]];
    case 'ContactPoint':
      return [[v.system ?? null, v.value ?? null, null]];
    case 'boolean':
      return [[null, String(v), null]];
    case 'code':
      // A code's system is the one its bound value set draws from (Patient.gender is
      // http://hl7.org/fhir/administrative-gender), so system|code searches find it.
      return typeof v === 'string' ? [[f.binding ? systemOf(f.binding) : null, v, null]] : [];
    case 'string':
    case 'id':
    case 'uri':
    case 'canonical':
      return typeof v === 'string' ? [[null, v, null]] : [];
    default:
      return [];
  }
}

function strings(f: Found): string[] {
  const v = f.value as Obj;
  if (typeof v === 'string') return [v];
  if (!v || typeof v !== 'object') return [];
  switch (f.type) {
    case 'HumanName':
      return [v.text, v.family, ...(v.given ?? []), ...(v.prefix ?? []), ...(v.suffix ?? [])].filter(Boolean);
    case 'Address':
      return [v.text, ...(v.line ?? []), v.city, v.district, v.state, v.postalCode, v.country].filter(Boolean);
    default:
      return [];
  }
}

function dates(f: Found): [number, number][] {
  const v = f.value as Obj;
  const one = (s: unknown) => (typeof s === 'string' ? dateRange(s) : undefined);
  switch (f.type) {
    case 'date':
    case 'dateTime':
    case 'instant': {
      const r = one(v);
      return r ? [[r.lo, r.hi]] : [];
    }
    case 'Period': {
      const lo = one(v.start)?.lo ?? -8.64e15;
      const hi = one(v.end)?.hi ?? 8.64e15;
      return [[lo, hi]];
    }
    case 'Timing': {
      const out: [number, number][] = [];
      for (const e of v.event ?? []) {
        const r = one(e);
        if (r) out.push([r.lo, r.hi]);
      }
      const b = v.repeat?.boundsPeriod;
      if (b) out.push([one(b.start)?.lo ?? -8.64e15, one(b.end)?.hi ?? 8.64e15]);
      return out;
    }
    default:
      return [];
  }
}

function references(f: Found, baseUrl: string): [string | null, string | null, string | null][] {
  const v = f.value as Obj;
  const ref: unknown = typeof v === 'string' ? v : v?.reference;
  if (typeof ref !== 'string' || ref.startsWith('#')) return [];
  const local = localReference(ref, baseUrl);
  return local?.type ? [[local.type, local.id, null]] : [[null, null, ref]];
}

/** Open period ends are stored as PostgreSQL's infinities. */
const toIso = (ms: number) => (ms <= -8.64e15 ? '-infinity' : ms >= 8.64e15 ? 'infinity' : new Date(ms).toISOString());

function quantity(f: Found): QuantityValue | undefined {
  const q = f.value as Obj;
  if (typeof q?.value !== 'number') return undefined;
  const system: string | null = q.system ?? null;
  const code: string | null = q.code ?? null;
  return [String(q.value), system, code, q.unit ?? null, ...canonicalOf(q.value, system, code)];
}

function compositeValues(type: PartType, f: Found, systemOf: (valueSet: string) => string | null): CompositeValue[] {
  const n = null;
  switch (type) {
    case 'token':
      return tokens(f, systemOf)
        .filter(([, c]) => c !== null)
        .map(([s, c]) => [s, c, n, n, n, n, n, n, n, n]);
    case 'quantity': {
      const q = quantity(f);
      return q ? [[q[1], q[2], q[0], q[3], q[4], q[5], n, n, n, n]] : [];
    }
    case 'date':
      return dates(f).map(([lo, hi]) => [n, n, n, n, n, n, toIso(lo), toIso(hi), n, n]);
    case 'string':
      return strings(f).map((s) => [n, n, n, n, n, n, n, n, normalizeString(s), s]);
  }
}

/** Builds per-type extractors once, then extracts every search value of a resource. */
export class Indexer {
  private readonly compiled = new Map<string, { sp: SearchParameter; extract: Extractor }[]>();
  private readonly systems = new Map<string, string | null>();
  private readonly composites = new Map<string, CompositeExtractor[]>();

  constructor(
    private readonly defs: Definitions,
    private readonly baseUrl: string,
    private readonly terminology: Terminology,
  ) {}

  private systemOf = (valueSet: string): string | null => {
    let system = this.systems.get(valueSet);
    if (system === undefined) this.systems.set(valueSet, (system = this.terminology.singleSystem(valueSet) ?? null));
    return system;
  };

  private forType(resourceType: string) {
    let list = this.compiled.get(resourceType);
    if (!list) {
      list = [];
      for (const sp of this.defs.searchParams.get(resourceType)?.values() ?? []) {
        if (!sp.expression || sp.type === 'composite' || sp.type === 'special') continue;
        if (isRowParam(sp.code)) continue;
        list.push({ sp, extract: compileExtractor(sp.expression, resourceType) });
      }
      this.compiled.set(resourceType, list);
    }
    return list;
  }

  private compositesFor(resourceType: string): CompositeExtractor[] {
    let list = this.composites.get(resourceType);
    if (!list) {
      list = [];
      for (const sp of this.defs.searchParams.get(resourceType)?.values() ?? []) {
        const c = sp.type === 'composite' ? compileComposite(sp, resourceType) : undefined;
        if (c) list.push(c);
      }
      this.composites.set(resourceType, list);
    }
    return list;
  }

  /** One row per pair of a token and a second value found in the same element. */
  private compositeRows(resource: Obj, rows: IndexRows): void {
    for (const c of this.compositesFor(resource.resourceType)) {
      try {
        for (const element of c.elements(resource)) {
          const firsts = c.first(element).flatMap((f) => tokens(f, this.systemOf));
          const seconds = c.second(element).flatMap((f) => compositeValues(c.shape.second.type, f, this.systemOf));
          for (const [s, code] of firsts) {
            if (code !== null) for (const v of seconds) rows.composite.push([c.code, s, code, ...v]);
          }
        }
      } catch {
        // as for the other parameters: an expression that cannot evaluate on this resource indexes nothing
      }
    }
  }

  rows(resource: Obj): IndexRows {
    const rows: IndexRows = { token: [], string: [], date: [], reference: [], number: [], quantity: [], uri: [], composite: [] };
    this.compositeRows(resource, rows);
    for (const { sp, extract } of this.forType(resource.resourceType)) {
      const code = sp.code as string;
      let found: Found[];
      try {
        found = extract(resource);
      } catch {
        continue; // an expression that cannot evaluate on this resource indexes nothing
      }
      for (const f of found) {
        switch (sp.type) {
          case 'token':
            for (const [s, c, t] of tokens(f, this.systemOf)) rows.token.push([code, s, c, t]);
            if (f.type === 'Identifier') rows.token.push(...ofTypeRows(code, f.value as Obj));
            break;
          case 'string':
            for (const s of strings(f)) rows.string.push([code, normalizeString(s), s]);
            break;
          case 'date':
            for (const [lo, hi] of dates(f)) rows.date.push([code, toIso(lo), toIso(hi)]);
            break;
          case 'reference':
            for (const [t, id, url] of references(f, this.baseUrl)) rows.reference.push([code, t, id, url]);
            rows.token.push(...referenceIdentifierRows(code, f.value as Obj));
            break;
          case 'number':
            if (typeof f.value === 'number') rows.number.push([code, String(f.value)]);
            break;
          case 'quantity': {
            const q = quantity(f);
            if (q) rows.quantity.push([code, ...q]);
            break;
          }
          case 'uri':
            if (typeof f.value === 'string') rows.uri.push([code, f.value]);
            break;
        }
      }
    }
    return rows;
  }
}
