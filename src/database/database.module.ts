import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { buildDataSourceOptions } from './data-source-options.js';
import type { EmbeddedDatabase } from './embedded-database.js';

/** A data source that also closes the embedded database (and frees its lock) when destroyed. */
class AppDataSource extends DataSource {
  embedded?: EmbeddedDatabase;

  override async destroy(): Promise<void> {
    if (this.isInitialized) await super.destroy();
    await this.embedded?.close();
  }
}

const logger = new Logger('Database');

@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          // PostgreSQL may still be starting: retry. The embedded database either opens or never will.
          useFactory: () => ({
            retryAttempts: config.database.url ? 20 : 1,
            retryDelay: 3000,
            toRetry: (error: unknown) => {
              logger.error(`Cannot open the database: ${(error as Error).message}. Retrying in 3 s.`);
              return true;
            },
          }),
          dataSourceFactory: async () => {
            const setup = buildDataSourceOptions(config);
            const dataSource = new AppDataSource(setup.options);
            dataSource.embedded = setup.embedded;
            try {
              await setup.embedded?.ready;
              return await dataSource.initialize();
            } catch (error) {
              await dataSource.destroy().catch(() => undefined);
              throw error;
            }
          },
        }),
      ],
    };
  }
}
