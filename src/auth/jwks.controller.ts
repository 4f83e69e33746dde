import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/http/public.decorator.js';
import { AccessTokenService, type PublicJwk } from './jwt.service.js';

class JwksDto {
  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: 'The public keys that sign access tokens (empty when they are signed with a shared secret)',
    example: [{ kty: 'EC', crv: 'P-256', x: '…', y: '…', kid: '…', alg: 'ES256', use: 'sig' }],
  })
  keys: PublicJwk[];
}

@ApiTags('Auth')
@Public()
@Controller('.well-known')
export class JwksController {
  constructor(private readonly accessTokens: AccessTokenService) {}

  @Get('jwks.json')
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({ summary: 'JSON Web Key Set', description: 'For services that verify access JWTs themselves (JWT_ALGORITHM=ES256).' })
  @ApiOkResponse({ type: JwksDto })
  jwks(): JwksDto {
    return this.accessTokens.jwks();
  }
}
