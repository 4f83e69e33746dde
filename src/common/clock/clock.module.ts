import { Global, Module, type DynamicModule } from '@nestjs/common';
import { Clock } from './clock.js';

@Global()
@Module({})
export class ClockModule {
  /** A clock that tests may move when `movable` (the test environment), fixed to real time otherwise. */
  static forRoot(movable: boolean): DynamicModule {
    return { module: ClockModule, providers: [{ provide: Clock, useValue: new Clock(movable) }], exports: [Clock] };
  }
}
