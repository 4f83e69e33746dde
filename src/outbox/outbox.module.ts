import { Global, Module } from '@nestjs/common';
import { Mailer } from './mailer.js';
import { OutboxDispatcher } from './outbox.dispatcher.js';
import { OutboxService } from './outbox.service.js';

@Global()
@Module({ providers: [OutboxService, OutboxDispatcher, Mailer], exports: [OutboxService] })
export class OutboxModule {}
