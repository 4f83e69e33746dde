import { Logger as NestLogger } from '@nestjs/common';
import type { Logger } from 'typeorm';

/**
 * TypeORM's messages through Nest's logger, at the service's log level. Queries are never logged:
 * their parameters hold password hashes and token hashes. A failed query reaches the error filter,
 * which logs it without its parameters.
 */
export class TypeOrmLogger implements Logger {
  private readonly logger = new NestLogger('TypeORM');

  logQuery(): void {}
  logQueryError(): void {}
  logQuerySlow(time: number): void {
    this.logger.warn(`A query took ${time} ms`);
  }
  logSchemaBuild(message: string): void {
    this.logger.debug(message);
  }
  logMigration(message: string): void {
    this.logger.log(message);
  }
  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
    else if (level === 'info') this.logger.log(String(message));
    else this.logger.debug(String(message));
  }
}
