/** A plain reference to another resource, such as Patient/123. */
export interface Ref {
  reference: string;
}
