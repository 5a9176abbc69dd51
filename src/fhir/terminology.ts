import type { Bundle, CodeSystem, CodeSystemConcept, ValueSet } from '@medplum/fhirtypes';
import { readR4 } from './definitions.js';

/**
 * Code lists of the R4 value sets, for checking required bindings. A value set is enumerable when
 * every include names codes or a whole code system we hold, with no filters; the rest (UCUM,
 * MIME types, languages, ...) cannot be checked here and are left alone.
 */
export class Terminology {
  private readonly codeSystems = new Map<string, CodeSystem>();
  private readonly valueSets = new Map<string, ValueSet>();
  private readonly expanded = new Map<string, Set<string> | null>();

  constructor(extra: (CodeSystem | ValueSet)[] = []) {
    for (const file of ['valuesets.json', 'v3-codesystems.json', 'v2-tables.json']) {
      for (const e of readR4<Bundle<CodeSystem | ValueSet>>(file).entry ?? []) if (e.resource) this.add(e.resource);
    }
    for (const r of extra) this.add(r);
  }

  add(r: CodeSystem | ValueSet): void {
    if (!r.url) return;
    if (r.resourceType === 'CodeSystem') this.codeSystems.set(r.url, r);
    else this.valueSets.set(r.url, r);
    this.expanded.clear();
  }

  /** The "system|code" pairs of a value set, or null when it cannot be enumerated. */
  codes(url: string): Set<string> | null {
    const key = url.split('|')[0];
    if (this.expanded.has(key)) return this.expanded.get(key) ?? null;
    this.expanded.set(key, null); // guards against cycles while expanding
    const result = this.expand(key);
    this.expanded.set(key, result);
    return result;
  }

  /** The system a code-typed element's value set draws from, when it draws from exactly one. */
  singleSystem(url: string): string | undefined {
    const codes = this.codes(url);
    if (!codes) return undefined;
    const systems = new Set([...codes].map((c) => c.slice(0, c.lastIndexOf('|'))));
    return systems.size === 1 ? [...systems][0] : undefined;
  }

  private expand(url: string): Set<string> | null {
    const vs = this.valueSets.get(url);
    if (!vs) return null;
    const out = new Set<string>();
    if (vs.expansion?.contains && !vs.compose) {
      for (const c of vs.expansion.contains) if (c.system && c.code) out.add(`${c.system}|${c.code}`);
      return out;
    }
    for (const inc of vs.compose?.include ?? []) {
      if (inc.filter?.length) return null;
      for (const ref of inc.valueSet ?? []) {
        const inner = this.codes(ref);
        if (!inner) return null;
        for (const c of inner) out.add(c);
      }
      if (!inc.system) continue;
      if (inc.concept) {
        for (const c of inc.concept) out.add(`${inc.system}|${c.code}`);
      } else {
        const cs = this.codeSystems.get(inc.system);
        if (!cs?.concept || cs.content === 'not-present' || cs.content === 'fragment') return null;
        const walk = (cs: CodeSystemConcept[]) => {
          for (const c of cs) {
            out.add(`${inc.system}|${c.code}`);
            if (c.concept) walk(c.concept);
          }
        };
        walk(cs.concept);
      }
    }
    for (const exc of vs.compose?.exclude ?? []) {
      if (exc.filter?.length || exc.valueSet?.length || !exc.system) return null;
      for (const c of exc.concept ?? []) out.delete(`${exc.system}|${c.code}`);
    }
    return out.size ? out : null;
  }
}

const bareCodes = new WeakMap<ReadonlySet<string>, Set<string>>();

/**
 * Whether an expansion of "system|code" pairs holds the code: in that system when one is given,
 * in any system otherwise (a bare `code` element). The bare codes are indexed once per expansion.
 */
export function hasCode(codes: ReadonlySet<string>, system: string | undefined, code: string): boolean {
  if (system) return codes.has(`${system}|${code}`);
  let bare = bareCodes.get(codes);
  if (!bare) bareCodes.set(codes, (bare = new Set([...codes].map((c) => c.slice(c.lastIndexOf('|') + 1)))));
  return bare.has(code);
}
