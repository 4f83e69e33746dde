import 'reflect-metadata';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import { NestFactory } from '@nestjs/core';
import { LogController } from 'fastify';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ErrorCode } from './common/errors/error-code.js';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppModule } from './app.module.js';
import { onClientError, onFrameworkError } from './common/errors/error.filter.js';
import { createValidationPipe } from './common/validation/validation.pipe.js';
import { loadConfig } from './config/app-config.js';
import { MetricsService } from './metrics/metrics.service.js';
import { createLogger, PinoNestLogger } from './common/logging/logger.js';
import type { AuthedRequest } from './common/http/principal.js';
import { PUBLIC_EXTENSION } from './common/http/public.decorator.js';
import type { RawEnv } from './config/env.schema.js';

export const BODY_LIMIT_BYTES = 100 * 1024;

type OperationObject = NonNullable<OpenAPIObject['paths'][string]['get']>;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface CreateAppOptions {
  /** Variables laid over `process.env` (tests use this to configure each app). */
  env?: RawEnv;
}

/** Builds the whole application, as `main.ts` serves it and as the tests boot it. */
export async function createApp(options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const config = loadConfig({ ...process.env, ...options.env });
  const logger = createLogger(config.logLevel);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    // One line per request, written below once the principal and the status are known.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: 200 },
    // Headers beyond 16 KB are refused by Node with 431.
    http: { maxHeaderSize: 16 * 1024 },
    trustProxy: config.http.trustProxy,
    // Errors raised before a route is reached answer in the API's error shape too.
    frameworkErrors: onFrameworkError,
    clientErrorHandler: onClientError,
    // A caller's x-request-id is kept when it is a sane token, otherwise one is made.
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(logger),
    // Nest's own parsers would add application/x-www-form-urlencoded; Fastify's built-in JSON
    // parser (same prototype-poisoning checks, same body limit) is the only one kept.
    bodyParser: false,
  });

  await app.register(helmet, {
    // Swagger UI at /docs loads its own scripts and styles from this origin.
    contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:'], styleSrc: ["'self'", "'unsafe-inline'"] } },
  });
  await app.register(cors, { origin: config.corsOrigins.length > 0 ? [...config.corsOrigins] : false, credentials: false });

  const fastify = app.getHttpAdapter().getInstance();
  // JSON only: anything else (form bodies included) is refused with 415 before it reaches a handler.
  fastify.removeContentTypeParser(['text/plain']);
  fastify.addHook('onRequest', async (req, reply) => {
    void reply.header('x-request-id', req.id);
    // API answers carry credentials and personal data: never stored by a cache.
    if (!req.url.startsWith('/docs') && !req.url.startsWith('/.well-known/')) void reply.header('cache-control', 'no-store');
  });

  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', async (req: AuthedRequest, reply) => {
    metrics.httpDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: reply.statusCode },
      reply.elapsedTime / 1000,
    );
    req.log.info(
      {
        method: req.method,
        route: req.routeOptions.url,
        url: req.url.length > 512 ? `${req.url.slice(0, 512)}…` : req.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        userId: req.principal?.userId,
        tokenId: req.principal?.tokenId,
        ip: req.ip,
      },
      'request',
    );
  });

  app.useGlobalPipes(createValidationPipe());
  setUpSwagger(app);
  return app;
}

function setUpSwagger(app: NestFastifyApplication): void {
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}

/** The OpenAPI document of every route, served at `/docs-json` and written by `npm run openapi`. */
export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Accounts service')
      .setDescription(
        'Users, accounts (tenants), memberships with roles, invitations, sessions and API tokens. ' +
          'Errors share one shape: `{statusCode, code, message, details?}`.',
      )
      .setVersion('0.1.0')
      .setLicense('MIT', 'https://opensource.org/licenses/MIT')
      .addServer('/', 'This service')
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        description: 'An access JWT from /api/auth/login, or an API token (`acs_pat_…`) from /api/tokens',
      })
      .addSecurityRequirements('bearer')
      .build(),
  );
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item) as [string, OperationObject][]) {
      if (!operation || typeof operation !== 'object' || !('responses' in operation)) continue;
      // Every operation needs the bearer token unless its route is @Public().
      if (PUBLIC_EXTENSION in operation) {
        delete (operation as Record<string, unknown>)[PUBLIC_EXTENSION];
        operation.security = [];
      }
      documentTransportErrors(method, path, operation);
    }
  }
  return document;
}

/**
 * The errors any route may answer before its handler runs, added where they apply: a body that
 * is not JSON (400, 415) or too large (413), on every method that may carry one (a body sent
 * where none is expected is still read), a path segment too long (414), a query string over the
 * header limit (431).
 */
function documentTransportErrors(method: string, path: string, operation: OperationObject): void {
  const add = (status: number, codes: ErrorCode[]) => {
    operation.responses[status] ??= {
      description: codes.join(', '),
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBodyDto' } } },
    };
  };
  const parameters = (operation.parameters ?? []) as { in?: string }[];
  if (operation.requestBody || ['post', 'put', 'patch', 'delete'].includes(method)) {
    add(400, [ErrorCode.VALIDATION_FAILED]);
    add(413, [ErrorCode.PAYLOAD_TOO_LARGE]);
    add(415, [ErrorCode.UNSUPPORTED_MEDIA_TYPE]);
  }
  if (path.includes('{')) {
    add(400, [ErrorCode.VALIDATION_FAILED]);
    add(414, [ErrorCode.URI_TOO_LONG]);
  }
  if (parameters.some((p) => p.in === 'query')) add(431, [ErrorCode.HEADERS_TOO_LARGE]);
}
