import { Logger } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { APP_CONFIG, type AppConfig } from './config/app-config.js';

const app = await createApp();
app.enableShutdownHooks();
const { host, port } = app.get<AppConfig>(APP_CONFIG).http;
await app.listen(port, host);
new Logger('Main').log(`Accounts service listening on http://${host === '0.0.0.0' ? 'localhost' : host}:${port} (docs at /docs)`);
