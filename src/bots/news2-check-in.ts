import type { Questionnaire, QuestionnaireResponse, QuestionnaireResponseItem, QuestionnaireResponseItemAnswer } from '@medplum/fhirtypes';
import type { Repository } from '../repository/repository.js';
import type { Acvpu } from './news2.js';

/**
 * The daily check-in: what devices cannot measure for NEWS2, answered by the patient or a carer
 * once a day — the level of consciousness (ACVPU) and whether the patient is on supplemental
 * oxygen.
 */

export const checkInUrl = 'https://serium.dev/fhir/Questionnaire/daily-check-in';
export const checkInLinkIds = { consciousness: 'consciousness', oxygen: 'supplemental-oxygen' } as const;

const sct = 'http://snomed.info/sct';

/** ACVPU answers as SNOMED CT findings (the HL7 UK Care Connect ACVPU value set). */
export const acvpuCodings: Record<Acvpu, { system: string; code: string; display: string }> = {
  A: { system: sct, code: '248234008', display: 'Mentally alert' },
  C: { system: sct, code: '130987000', display: 'Acute confusion' },
  V: { system: sct, code: '300202002', display: 'Responds to voice' },
  P: { system: sct, code: '450847001', display: 'Responds to pain' },
  U: { system: sct, code: '422768004', display: 'Unresponsive' },
};

export const checkInQuestionnaire: Questionnaire = {
  resourceType: 'Questionnaire',
  id: 'daily-check-in',
  url: checkInUrl,
  version: '1',
  name: 'SeriumDailyCheckIn',
  title: 'Daily check-in',
  status: 'active',
  subjectType: ['Patient'],
  description:
    'Once a day, by the patient or a carer: the level of consciousness (ACVPU) and the use of supplemental oxygen, the two NEWS2 parameters no device measures.',
  item: [
    {
      linkId: checkInLinkIds.consciousness,
      code: [{ system: sct, code: '1104441000000107', display: 'ACVPU (Alert Confusion Voice Pain Unresponsive) scale score' }],
      text: 'How is the patient? Alert; newly confused; responds only to voice; responds only to pain; or unresponsive.',
      type: 'choice',
      required: true,
      answerOption: Object.values(acvpuCodings).map((valueCoding) => ({ valueCoding })),
    },
    {
      linkId: checkInLinkIds.oxygen,
      text: 'Is the patient on supplemental oxygen now?',
      type: 'boolean',
      required: true,
    },
  ],
};

/** Whether the response answers the check-in (its questionnaire is the check-in, any version). */
export const answersCheckIn = (qr: QuestionnaireResponse): boolean => qr.questionnaire === checkInUrl || (qr.questionnaire ?? '').startsWith(`${checkInUrl}|`);

/** The answers to the item, wherever it is nested. */
function answersOf(items: QuestionnaireResponseItem[] | undefined, linkId: string): QuestionnaireResponseItemAnswer[] {
  for (const item of items ?? []) {
    if (item.linkId === linkId) return item.answer ?? [];
    const nested = [...(item.item ?? []), ...(item.answer ?? []).flatMap((a) => a.item ?? [])];
    const found = answersOf(nested, linkId);
    if (found.length) return found;
  }
  return [];
}

/** The ACVPU level and the oxygen use a response gives (each undefined when unanswered). */
export function checkInAnswers(qr: QuestionnaireResponse): { consciousness?: Acvpu; oxygen?: boolean } {
  const coding = answersOf(qr.item, checkInLinkIds.consciousness)[0]?.valueCoding;
  const consciousness = (Object.keys(acvpuCodings) as Acvpu[]).find((k) => coding?.system === sct && coding.code === acvpuCodings[k].code);
  const oxygen = answersOf(qr.item, checkInLinkIds.oxygen)[0]?.valueBoolean;
  return { ...(consciousness ? { consciousness } : {}), ...(oxygen !== undefined ? { oxygen } : {}) };
}

/** Stores the check-in Questionnaire at start when it is missing, so apps can read what to ask. */
export async function ensureCheckInQuestionnaire(repo: Repository): Promise<void> {
  const id = 'daily-check-in';
  if (!(await repo.current('Questionnaire', id))) await repo.update({ ...checkInQuestionnaire, id }, id);
}
