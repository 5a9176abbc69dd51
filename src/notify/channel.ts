/**
 * The ways Serium reaches a person: email over SMTP, and push and SMS through an HTTP gateway.
 * Everything that sends a message to a person goes through one Notifier.
 */
export type ChannelKind = 'email' | 'sms' | 'push';

export const channelKinds: readonly ChannelKind[] = ['email', 'sms', 'push'];

/** The code system of Communication.medium for the channel a message went out on. */
export const channelSystem = 'https://serium.dev/fhir/CodeSystem/notification-channel';

export interface OutgoingMessage {
  kind: ChannelKind;
  /** An email address, a phone number (E.164) or a push token. */
  to: string;
  subject: string;
  text: string;
  urgent: boolean;
  /** What the message records, such as Communication/123: the gateway may use it to deduplicate. */
  reference: string;
}

export interface Notifier {
  /** Whether a channel is configured (SMTP_URL for email, NOTIFY_GATEWAY_URL for push and SMS). */
  available(kind: ChannelKind): boolean;
  /** Resolves once the channel accepted the message; throws when it did not. */
  send(message: OutgoingMessage): Promise<void>;
  close(): void;
}
