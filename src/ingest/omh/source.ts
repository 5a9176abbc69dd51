import type { DateTimeValue } from '../date-time.js';

/** What a message tells about a body besides the body itself: its data point header, when it had one. */
export interface Source {
  /** The header id. */
  id?: string;
  /** Header fields kept on the Observation as omh-context: [property, value]. */
  context: [string, string][];
  /** Times to use, best first, when the body has no effective_time_frame: [header property, time]. */
  fallbackTimes: [string, DateTimeValue][];
  /** When Serium received the message: the last fallback. */
  receivedAt: Date;
}
