import nodemailer from 'nodemailer';

/** One message as the mailer hands it to SMTP. */
export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  /** Sent as the HTML alternative unless empty. */
  html: string;
  /** The RFC 5322 Message-ID, `<…@…>`: the same on every retry of one notification. */
  messageId: string;
  headers?: Record<string, string>;
}

/** What the server said when it accepted a message. */
export interface AcceptedMail {
  /** The server's final reply, e.g. `250 2.0.0 Ok: queued as 4F2A1`. */
  response: string;
}

/** Sends mail; rejects with nodemailer's error (with `responseCode`/`code`) when the server or the network refuses. */
export interface MailSender {
  send(mail: OutgoingMail): Promise<AcceptedMail>;
  close(): void;
}

/** How the sender treats a server without TLS. */
export interface SmtpSenderOptions {
  timeoutMs: number;
  /**
   * Send over an unencrypted `smtp://` connection when the server offers no STARTTLS (the embedded mail catcher
   * on loopback; SMTP_ALLOW_PLAINTEXT=true). Otherwise STARTTLS is required.
   */
  allowPlaintext?: boolean;
}

/**
 * A sender over SMTP: `smtps://` for implicit TLS, or `smtp://user:pass@host:587`, which must upgrade with
 * STARTTLS (nodemailer's `requireTLS`) unless `allowPlaintext`: a server that does not offer it, or someone on
 * the path who strips it from the EHLO reply, then gets neither the message nor the credentials. One
 * connection per message: transactional mail is low volume, and a fresh connection never trips over one the
 * server closed while idle.
 */
export function createSmtpSender(url: string, options: SmtpSenderOptions): MailSender {
  const transport = nodemailer.createTransport({
    url,
    requireTLS: !options.allowPlaintext,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    dnsTimeout: options.timeoutMs,
  });
  return {
    async send(mail) {
      const info = await transport.sendMail({
        from: mail.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        ...(mail.html ? { html: mail.html } : {}),
        messageId: mail.messageId,
        headers: mail.headers,
      });
      return { response: info.response };
    },
    close: () => transport.close(),
  };
}
