import { Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Application } from './applications/application.entity.js';
import { SigningKey } from './signing-keys/signing-key.entity.js';
import { type AppConfig, APP_CONFIG } from '../config/app-config.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { LogsModule } from '../logs/logs.module.js';
import { ApplicationsService } from './applications/applications.service.js';
import { BearerAuthGuard } from './bearer-auth.guard.js';
import { BearerStrategy } from './bearer.strategy.js';
import { OidcController } from './oidc/oidc.controller.js';
import { SigningKeysService } from './signing-keys/signing-keys.service.js';
import { TokenExchangeService } from './oidc/token-exchange.service.js';
import { TokensService } from './tokens.service.js';

/** Machine-to-machine applications, signing keys, the token endpoint and the global bearer guard. */
@Module({
  imports: [TypeOrmModule.forFeature([Application, SigningKey]), PassportModule, LogsModule, RateLimitModule],
  controllers: [OidcController],
  providers: [
    ApplicationsService,
    SigningKeysService,
    TokensService,
    TokenExchangeService,
    BearerStrategy,
    BearerAuthGuard,
    // useExisting keeps the guard overridable in tests, as the NestJS docs recommend.
    { provide: APP_GUARD, useExisting: BearerAuthGuard },
  ],
  exports: [ApplicationsService, SigningKeysService],
})
export class AuthModule implements OnApplicationBootstrap {
  constructor(
    private readonly applications: ApplicationsService,
    private readonly signingKeys: SigningKeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.signingKeys.ensureActiveKey();
    const bootstrap = this.config.bootstrapClient;
    if (bootstrap) await this.applications.ensureBootstrapApplication(bootstrap.id, bootstrap.secret);
  }
}
