import { type DynamicModule, Global, Module } from '@nestjs/common';
import { type AppConfig, APP_CONFIG } from './app-config.js';

/**
 * The validated configuration (`APP_CONFIG`), available to every module. It is loaded before Nest
 * starts (the launcher needs it to find the database), so this module only hands it out.
 */
@Global()
@Module({})
export class ConfigModule {
  static forConfig(config: AppConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] };
  }
}
