/** An Open mHealth body, already checked against its schema. */
export type OmhBody = Record<string, unknown>;
