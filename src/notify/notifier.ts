import type { ChannelKind, Notifier } from './channel.js';
import type { EmailSender } from './email.js';
import { gatewaySender } from './gateway.js';

/** The Notifier from what is configured: email when an SMTP sender is given, push and SMS when a gateway URL is. */
export function createNotifier(opts: { email?: EmailSender; gatewayUrl?: string; gatewayToken?: string; timeoutMs: number }): Notifier {
  const gateway = opts.gatewayUrl ? gatewaySender(opts.gatewayUrl, opts.gatewayToken, opts.timeoutMs) : undefined;
  const available = (kind: ChannelKind) => (kind === 'email' ? opts.email !== undefined : gateway !== undefined);
  return {
    available,
    async send(m) {
      if (m.kind === 'email') {
        if (!opts.email) throw new Error('no SMTP server is configured (SMTP_URL)');
        return opts.email.send({ to: m.to, subject: m.subject, text: m.text });
      }
      if (!gateway) throw new Error('no notification gateway is configured (NOTIFY_GATEWAY_URL)');
      return gateway(m);
    },
    close() {
      opts.email?.close();
    },
  };
}
