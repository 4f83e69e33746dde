import { applyDecorators } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiExtension } from '@nestjs/swagger';

/** The metadata the access-token guard reads. */
export const IsPublic = Reflector.createDecorator<true>({ transform: () => true });

/** OpenAPI extension marking an operation that needs no credentials (turned into `security: []`). */
export const PUBLIC_EXTENSION = 'x-public';

/** Marks a route (or a controller) that needs no credentials. Every other route requires a bearer token. */
export const Public = () => applyDecorators(IsPublic(), ApiExtension(PUBLIC_EXTENSION, true));
