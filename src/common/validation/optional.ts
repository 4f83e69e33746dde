import { ValidateIf } from 'class-validator';

/** The property may be left out, but when present must not be null (and is validated). */
export const OptionalNotNull = () => ValidateIf((_object, value) => value !== undefined);

/** The property may be left out or set to null (to clear it); anything else is validated. */
export const OptionalNullable = () => ValidateIf((_object, value) => value !== undefined && value !== null);
