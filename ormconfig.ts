import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/app-config.js';
import { buildDataSourceOptions } from './src/database/data-source-options.js';

/** The data source of the TypeORM CLI (`npm run migration:*`), built like the app's. */
const setup = buildDataSourceOptions(loadConfig());
await setup.embedded?.ready;
export default new DataSource(setup.options);
