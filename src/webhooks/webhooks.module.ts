import { Module } from '@nestjs/common';
import { MembershipsModule } from '../memberships/memberships.module.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';

@Module({ imports: [MembershipsModule], controllers: [WebhooksController], providers: [WebhooksService] })
export class WebhooksModule {}
