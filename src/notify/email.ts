import nodemailer from 'nodemailer';

/** One email: plain text, with attachments (a notification Bundle, say). */
export interface Email {
  to: string;
  subject: string;
  text: string;
  attachments?: { filename: string; content: string; contentType: string }[];
}

/** Sends email; resolves once the SMTP server accepted it. */
export interface EmailSender {
  send(email: Email): Promise<void>;
  close(): void;
}

/** An EmailSender over SMTP (smtp:// or smtps://, user and password in the URL). */
export function smtpSender(url: string, from: string, timeoutMs: number): EmailSender {
  const transport = nodemailer.createTransport(url, { from });
  return {
    async send(email) {
      await Promise.race([
        transport.sendMail({ to: email.to, subject: email.subject, text: email.text, attachments: email.attachments }),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`SMTP server did not accept the message within ${timeoutMs} ms`)), timeoutMs).unref()),
      ]);
    },
    close() {
      transport.close();
    },
  };
}
