import { Reflector } from '@nestjs/core';

/** Marks a route that needs no credentials. Every other route requires a bearer token. */
export const Public = Reflector.createDecorator<true>({ transform: () => true });
