import { Rejection } from '../src/ingest/reading.js';

/** The Rejection a call throws (fails the test when it throws none, or throws something else). */
export function rejection(fn: () => unknown): Rejection {
  try {
    fn();
  } catch (err) {
    if (err instanceof Rejection) return err;
    throw err;
  }
  throw new Error('expected a Rejection, got none');
}
