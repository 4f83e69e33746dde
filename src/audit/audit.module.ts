import { Global, Module } from '@nestjs/common';
import { MembershipsModule } from '../memberships/memberships.module.js';
import { AuditController } from './audit.controller.js';
import { AuditQuery } from './audit.query.js';
import { AuditService } from './audit.service.js';

/** Writing audit events is open to every module; reading them has its own routes. */
@Global()
@Module({ providers: [AuditService], exports: [AuditService] })
export class AuditModule {}

@Module({ imports: [MembershipsModule], controllers: [AuditController], providers: [AuditQuery] })
export class AuditReadModule {}
