import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { type StreamSentMessageInfo, type Transporter } from 'nodemailer';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/**
 * Sends the outbox's mails: over SMTP when `SMTP_URL` is set, otherwise as `<id>.eml` files
 * under the mail folder. Every mail carries `Message-ID: <outbox-<id>@<app host>>`, so a
 * redelivery of the same outbox row is recognisable as the same message (and overwrites its file).
 */
@Injectable()
export class Mailer {
  private readonly smtp?: Transporter;
  private readonly files: Transporter<StreamSentMessageInfo>;
  private readonly messageIdHost: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    if (config.mail.smtpUrl) {
      // Timeouts bounded so that one delivery ends well within the dispatcher's 60 s claim.
      this.smtp = nodemailer.createTransport({
        url: config.mail.smtpUrl,
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 20_000,
      });
    }
    this.files = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
    this.messageIdHost = new URL(config.appUrl).hostname;
  }

  async send(outboxId: string, mail: Mail): Promise<void> {
    const message = {
      from: this.config.mail.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: `<outbox-${outboxId}@${this.messageIdHost}>`,
    };
    if (this.smtp) {
      await this.smtp.sendMail(message);
      return;
    }
    const { message: eml } = await this.files.sendMail(message);
    await mkdir(this.config.mail.fileDir, { recursive: true });
    await writeAtomically(join(this.config.mail.fileDir, `${outboxId}.eml`), eml as Buffer);
  }
}

/** Temp file then rename: a reader never sees half a mail, a redelivery replaces the file. */
async function writeAtomically(file: string, content: Buffer): Promise<void> {
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, content, { mode: 0o600 });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
