import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiTokenResolver } from '../tokens/api-token.resolver.js';
import { UsersModule } from '../users/users.module.js';
import { LoginLockoutService } from './abuse/login-lockout.service.js';
import { RateLimitGuard } from './abuse/rate-limit.guard.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { JwksController } from './jwks.controller.js';
import { AccessTokenGuard } from './guards/access-token.guard.js';
import { PlatformAdminGuard } from './guards/platform-admin.guard.js';
import { AccessTokenService } from './jwt.service.js';
import { PasswordsService } from './passwords.service.js';
import { SessionsService } from './sessions.service.js';
import { UserTokensService } from './user-tokens.service.js';

@Module({
  imports: [UsersModule],
  controllers: [AuthController, JwksController],
  providers: [
    AuthService,
    PasswordsService,
    SessionsService,
    AccessTokenService,
    UserTokensService,
    ApiTokenResolver,
    LoginLockoutService,
    RateLimitGuard,
    PlatformAdminGuard,
    { provide: APP_GUARD, useClass: AccessTokenGuard },
  ],
  exports: [AuthService, PasswordsService, SessionsService, AccessTokenService, UserTokensService, ApiTokenResolver, LoginLockoutService, RateLimitGuard],
})
export class AuthModule {}
