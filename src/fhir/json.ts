/** Plain JSON values as they arrive in a resource. */
export type Obj = Record<string, unknown>;

/** "quantity" → "Quantity": the suffix a choice element's JSON key carries (valueQuantity). */
export const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export const isObject = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
