import type { Basic, Extension } from '@medplum/fhirtypes';
import type { BotContext } from '../bots/bot.js';
import { defaultRuleMap, type Level, type Rule, type Rules } from './rules.js';

/**
 * Per-patient alert settings, as a FHIR resource an EHR can read and a doctor can write: a Basic
 * with code alert-thresholds, subject the Patient, author the doctor, and one alert-rule
 * extension per changed rule:
 *
 *   { url: alertRuleUrl, extension: [ { url: 'rule', valueCode: 'spo2-critical' },
 *       { url: 'below', valueDecimal: 88 }, { url: 'level', valueCode: 'alert' }, { url: 'active', valueBoolean: false } ] }
 *
 * Any of the rule's parameters can be given (by name); what is not given keeps its default. When
 * a patient has several such resources, the most recently updated wins for a rule.
 */
export const basicTypeSystem = 'https://serium.dev/fhir/CodeSystem/basic-type';
export const alertRuleUrl = 'https://serium.dev/fhir/StructureDefinition/alert-rule';

const levels: readonly Level[] = ['info', 'alert', 'emergency'];

function apply(rule: Rule, ext: Extension[]): Rule {
  const params = { ...rule.params };
  let { level, active } = rule;
  for (const e of ext) {
    if (e.url === 'level' && levels.includes(e.valueCode as Level)) level = e.valueCode as Level;
    else if (e.url === 'active' && typeof e.valueBoolean === 'boolean') active = e.valueBoolean;
    else if (e.url in params) {
      const v = e.valueDecimal ?? e.valueInteger ?? e.valueQuantity?.value;
      if (typeof v === 'number' && Number.isFinite(v)) params[e.url] = v;
    }
  }
  return { ...rule, level, active, params };
}

/** The defaults with the overrides of the given Basic resources applied, oldest first. */
export function rulesWith(settings: Basic[], defaults: Rules = defaultRuleMap): Rules {
  const rules = new Map(defaults);
  const ordered = [...settings].sort((a, b) => (a.meta?.lastUpdated ?? '').localeCompare(b.meta?.lastUpdated ?? ''));
  for (const s of ordered) {
    for (const e of s.extension ?? []) {
      if (e.url !== alertRuleUrl) continue;
      const id = e.extension?.find((x) => x.url === 'rule')?.valueCode;
      const rule = id ? rules.get(id) : undefined;
      if (rule) rules.set(rule.id, apply(rule, e.extension ?? []));
    }
  }
  return rules;
}

/** The rules in force for a patient. */
export async function rulesFor(ctx: BotContext, patient: string): Promise<Rules> {
  const settings = await ctx.search<Basic>('Basic', { subject: patient, code: `${basicTypeSystem}|alert-thresholds` });
  return rulesWith(settings);
}
