import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-custom';
import { RequestError } from '../common/errors/request-error.js';
import type { Caller } from '../common/request-context.js';
import { TokensService } from './tokens.service.js';

const BEARER_PREFIX = 'Bearer';

/** Passport strategy `bearer`: reads the Authorization header as Logto does and verifies the JWT. */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
  constructor(private readonly tokens: TokensService) {
    super();
  }

  async validate(request: FastifyRequest): Promise<Caller> {
    const header = request.headers.authorization;
    if (header === undefined) throw new RequestError('auth.authorization_header_missing');
    if (!header.startsWith(BEARER_PREFIX)) {
      throw new RequestError('auth.authorization_token_type_not_supported', { data: { supportedTypes: [BEARER_PREFIX] } });
    }
    // Like Logto, the token is whatever follows "Bearer" and one separator character.
    return this.tokens.verify(header.slice(BEARER_PREFIX.length + 1));
  }
}
