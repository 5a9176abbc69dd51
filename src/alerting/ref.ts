/** A plain reference to another resource, such as Patient/123. */
export interface Ref {
  reference: string;
}

/** Whether a reference names a clinician (Practitioner or PractitionerRole): who may acknowledge an alert. */
export function isClinician(reference: string | undefined): reference is string {
  return /^(Practitioner|PractitionerRole)\//.test(reference ?? '');
}
