import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AccountsModule } from './accounts/accounts.module.js';
import { AuditModule, AuditReadModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { PasswordPolicyModule } from './auth/password-policy.module.js';
import { ClockModule } from './common/clock/clock.module.js';
import { RedisModule } from './common/redis/redis.module.js';
import { ErrorFilter } from './common/errors/error.filter.js';
import { CompatModule } from './compat/compat.module.js';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { MembershipsModule } from './memberships/memberships.module.js';
import { OutboxModule } from './outbox/outbox.module.js';
import { TokensModule } from './tokens/tokens.module.js';
import { UserManagementModule } from './users/user-management.module.js';
import { UsersModule } from './users/users.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ClockModule.forRoot(config.isTest),
        DatabaseModule.forRoot(config),
        RedisModule,
        AuditModule,
        PasswordPolicyModule,
        OutboxModule,
        UsersModule,
        MembershipsModule,
        AuthModule,
        AccountsModule,
        AuditReadModule,
        UserManagementModule,
        TokensModule,
        WebhooksModule,
        HealthModule,
        MetricsModule,
        CompatModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ErrorFilter }],
    };
  }
}
