import { Global, Module } from '@nestjs/common';
import { SecretBox } from '../common/security/secret-box.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Mailer } from './mailer.js';
import { OutboxDispatcher } from './outbox.dispatcher.js';
import { OutboxService } from './outbox.service.js';
import { WebhookSender } from './webhook-sender.js';

/** The transactional outbox and its deliveries (mail, webhooks); `SecretBox` seals and opens webhook secrets. */
@Global()
@Module({
  providers: [
    OutboxService,
    OutboxDispatcher,
    Mailer,
    WebhookSender,
    { provide: SecretBox, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new SecretBox(config.encryptionKey) },
  ],
  exports: [OutboxService, SecretBox],
})
export class OutboxModule {}
