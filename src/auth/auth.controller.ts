import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { RateLimited } from './abuse/rate-limit.guard.js';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorCode } from '../common/errors/error-code.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { CurrentPrincipal, CurrentRequestContext, type Principal, type RequestContext } from '../common/http/principal.js';
import { Public } from '../common/http/public.decorator.js';
import { ListQueryDto } from '../common/query/list-query.dto.js';
import { UuidPipe } from '../common/validation/ids.js';
import { AuthService } from './auth.service.js';
import { SuccessDto } from '../common/http/success.dto.js';
import { ForgotPasswordDto, LoginDto, LoginResponseDto, RefreshDto, RegisterDto, ResetPasswordDto, VerifyEmailDto } from './dto/auth.dto.js';
import { MeDto, SessionListDto } from './dto/me.dto.js';

@ApiTags('Auth')
@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('register')
  @RateLimited()
  @ApiOperation({ summary: 'Register a user (self-service), answered with a login' })
  @ApiCreatedResponse({ type: LoginResponseDto })
  @ApiErrors(ErrorCode.SELF_SERVICE_DISABLED, ErrorCode.EMAIL_ALREADY_EXISTS)
  register(@Body() dto: RegisterDto, @CurrentRequestContext() context: RequestContext): Promise<LoginResponseDto> {
    return this.auth.register(dto, context);
  }

  @Public()
  @Post('login')
  @RateLimited()
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in with email and password' })
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiErrors(ErrorCode.INVALID_CREDENTIALS)
  login(@Body() dto: LoginDto, @CurrentRequestContext() context: RequestContext): Promise<LoginResponseDto> {
    return this.auth.login(dto, context);
  }

  @Public()
  @Post('refresh')
  @RateLimited()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Exchange a refresh token for a new login',
    description: 'The refresh token is single-use. Presenting one that was already exchanged ends the whole session.',
  })
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiErrors(ErrorCode.UNAUTHENTICATED)
  refresh(@Body() dto: RefreshDto, @CurrentRequestContext() context: RequestContext): Promise<LoginResponseDto> {
    return this.auth.refresh(dto.refreshToken, context);
  }

  @Public()
  @Post('password/forgot')
  @RateLimited()
  @HttpCode(202)
  @ApiOperation({ summary: 'Mail a password reset link', description: 'Answers the same whether or not the email has an account.' })
  @ApiAcceptedResponse({ type: SuccessDto })
  forgotPassword(@Body() dto: ForgotPasswordDto, @CurrentRequestContext() context: RequestContext): Promise<SuccessDto> {
    return this.auth.forgotPassword(dto.email, context);
  }

  @Public()
  @Post('password/reset')
  @RateLimited()
  @HttpCode(200)
  @ApiOperation({ summary: 'Choose a new password with the mailed token', description: 'The token works once; every session of the user ends.' })
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(ErrorCode.TOKEN_INVALID)
  resetPassword(@Body() dto: ResetPasswordDto, @CurrentRequestContext() context: RequestContext): Promise<SuccessDto> {
    return this.auth.resetPassword(dto, context);
  }

  @Public()
  @Post('email/verify')
  @RateLimited()
  @HttpCode(200)
  @ApiOperation({ summary: 'Confirm the email address with the mailed token', description: 'Sets `emailVerifiedAt` on the user.' })
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(ErrorCode.TOKEN_INVALID)
  verifyEmail(@Body() dto: VerifyEmailDto, @CurrentRequestContext() context: RequestContext): Promise<SuccessDto> {
    return this.auth.verifyEmail(dto.token, context);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End the session of the bearer token' })
  @ApiNoContentResponse({ description: 'The session is revoked; its tokens stop working at once' })
  @ApiErrors(ErrorCode.UNAUTHENTICATED)
  logout(@CurrentPrincipal() principal: Principal): Promise<void> {
    return this.auth.logout(principal);
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The caller and their memberships' })
  @ApiOkResponse({ type: MeDto })
  @ApiErrors(ErrorCode.UNAUTHENTICATED)
  me(@CurrentPrincipal() principal: Principal): Promise<MeDto> {
    return this.auth.me(principal);
  }

  @Get('sessions')
  @ApiBearerAuth()
  @ApiOperation({
    summary: "The caller's live sessions",
    description: 'OData `$filter` on createdAt, lastUsedAt, expiresAt, userAgent, ip. Most recently used first.',
  })
  @ApiOkResponse({ type: SessionListDto })
  @ApiErrors(ErrorCode.UNAUTHENTICATED, ErrorCode.INVALID_FILTER)
  sessions(@CurrentPrincipal() principal: Principal, @Query() query: ListQueryDto): Promise<SessionListDto> {
    return this.auth.listSessions(principal, query);
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Revoke one of the caller\'s sessions' })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiErrors(ErrorCode.UNAUTHENTICATED, ErrorCode.SESSION_NOT_FOUND)
  revokeSession(@CurrentPrincipal() principal: Principal, @Param('id', UuidPipe) id: string): Promise<void> {
    return this.auth.revokeSession(principal, id);
  }
}
