import { Logger } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { APP_CONFIG, type AppConfig } from './config/app-config.js';

const app = await createApp();
const config = app.get<AppConfig>(APP_CONFIG);
const logger = new Logger('Main');
await app.listen(config.http.port, config.http.host);
logger.log(`Accounts service listening on http://${config.http.host === '0.0.0.0' ? 'localhost' : config.http.host}:${config.http.port} (docs at /docs)`);

// Graceful shutdown: stop accepting, finish in-flight requests, flush the outbox round, close the
// pool; exit 0, or 1 if that takes longer than SHUTDOWN_TIMEOUT_MS.
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: shutting down`);
    setTimeout(() => {
      logger.error(`Shutdown took longer than ${config.shutdownTimeoutMs} ms: exiting`);
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    app.close().then(
      () => process.exit(0),
      (error: Error) => {
        logger.error(`Shutdown failed: ${error.message}`);
        process.exit(1);
      },
    );
  });
}
