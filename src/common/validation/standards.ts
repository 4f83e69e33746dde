import { ValidateBy, type ValidationOptions } from 'class-validator';

/** ISO 3166-1 alpha-2, officially assigned codes. */
const COUNTRIES = new Set(
  ('AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
    'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
    'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP ' +
    'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT ' +
    'MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
    'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG ' +
    'UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW').split(' '),
);

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

export function isCountryCode(value: unknown): boolean {
  return typeof value === 'string' && COUNTRIES.has(value);
}

export function isCurrencyCode(value: unknown): boolean {
  return typeof value === 'string' && /^[A-Z]{3}$/.test(value) && CURRENCIES.has(value);
}

export function isTimeZone(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 64 || !/^[A-Za-z0-9_+\-/]+$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export function isLanguageTag(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 35 || !/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(value)) return false;
  try {
    return Intl.getCanonicalLocales(value).length === 1;
  } catch {
    return false;
  }
}

/** An ISO 3166-1 alpha-2 country code, upper case (`US`). */
export const IsCountryCode = (options?: ValidationOptions) =>
  ValidateBy({ name: 'isCountryCode', validator: { validate: isCountryCode, defaultMessage: () => '$property must be an ISO 3166-1 alpha-2 country code such as US' } }, options);

/** An ISO 4217 currency code (`USD`). */
export const IsCurrencyCode = (options?: ValidationOptions) =>
  ValidateBy({ name: 'isCurrencyCode', validator: { validate: isCurrencyCode, defaultMessage: () => '$property must be an ISO 4217 currency code such as USD' } }, options);

/** An IANA time zone (`America/New_York`, `UTC`). */
export const IsTimeZone = (options?: ValidationOptions) =>
  ValidateBy({ name: 'isTimeZone', validator: { validate: isTimeZone, defaultMessage: () => '$property must be an IANA time zone such as America/New_York' } }, options);

/** A BCP 47 language tag (`en`, `pt-BR`). */
export const IsLanguageTag = (options?: ValidationOptions) =>
  ValidateBy({ name: 'isLanguageTag', validator: { validate: isLanguageTag, defaultMessage: () => '$property must be a BCP 47 language tag such as en or pt-BR' } }, options);

/** A JSON object of at most `maxBytes` once serialized, nested at most `maxDepth` levels. */
export const IsBoundedJsonObject = (maxBytes: number, maxDepth: number, options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isBoundedJsonObject',
      validator: {
        validate: (value: unknown) =>
          isPlainObject(value) && Buffer.byteLength(JSON.stringify(value)) <= maxBytes && depth(value) <= maxDepth && !hasNul(value),
        defaultMessage: () => `$property must be a JSON object of at most ${maxBytes} bytes, ${maxDepth} levels deep, without NUL characters`,
      },
    },
    options,
  );

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function depth(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  return 1 + Math.max(0, ...Object.values(value).map(depth));
}

function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([key, child]) => key.includes('\u0000') || hasNul(child));
}
