/** What the seeder creates and the runner relies on: fixed users, one password, the scales. */

export const PASSWORD = 'bench-password-1234';
export const ADMIN_EMAIL = 'bench-admin@bench.test';
export const MEMBER_EMAIL = 'bench-member@bench.test';
export const LISTER_EMAIL = 'bench-lister@bench.test';
/**
 * User 1 is the platform admin; user 2 the member the single-account reads run as (in four
 * accounts, like everyone, so `me` stays typical); user 3 the member whose account list is read
 * (in MEMBER_ACCOUNTS accounts).
 */
export const ADMIN_ID = 1;
export const MEMBER_ID = 2;
export const LISTER_ID = 3;
/** The account read by the single-account and members endpoints: the member belongs to it. */
export const ACCOUNT_ID = 1;
/** Extra members of ACCOUNT_ID (users 2 .. 1 + ACCOUNT_EXTRA_MEMBERS), so its member list pages. */
export const ACCOUNT_EXTRA_MEMBERS = 200;
/** The lister belongs to this many accounts, spread over the id range, at either scale. */
export const MEMBER_ACCOUNTS = 1000;
/** Logins rotate over this many ordinary users (ids from LOGIN_FIRST_ID). */
export const LOGIN_POOL = 200;
export const LOGIN_FIRST_ID = 3000;

export function userEmail(id: number): string {
  return id === ADMIN_ID ? ADMIN_EMAIL : id === MEMBER_ID ? MEMBER_EMAIL : id === LISTER_ID ? LISTER_EMAIL : `user${id}@bench.test`;
}

export interface Scale {
  name: 'small' | 'large';
  users: number;
  accounts: number;
}

export const SCALES: Record<Scale['name'], Scale> = {
  small: { name: 'small', users: 10_000, accounts: 10_000 },
  // Three memberships per account at either scale: 3M here.
  large: { name: 'large', users: 1_000_000, accounts: 1_000_000 },
};

/**
 * Seeded account names are `<Adjective> <Noun> <Brand> <id>`: each adjective-noun pair is on 1 in
 * 1,024 accounts (a broad search), each brand, three syllables taken from the id, on about 1 in
 * 125,000 (a narrow one, like looking up a customer).
 */
export const ADJECTIVES = [
  'Amber', 'Azure', 'Bold', 'Brave', 'Bright', 'Calm', 'Clever', 'Coral', 'Crimson', 'Daring', 'Eager', 'Emerald',
  'Fair', 'Gentle', 'Golden', 'Grand', 'Happy', 'Ivory', 'Jolly', 'Keen', 'Lively', 'Lucky', 'Mighty', 'Noble',
  'Olive', 'Proud', 'Quiet', 'Rapid', 'Silver', 'Swift', 'Vivid', 'Witty',
];
export const NOUNS = [
  'Anchor', 'Beacon', 'Bridge', 'Canyon', 'Cedar', 'Comet', 'Delta', 'Falcon', 'Forge', 'Garden', 'Harbor', 'Horizon',
  'Island', 'Lantern', 'Meadow', 'Mesa', 'Orbit', 'Orchard', 'Pioneer', 'Prairie', 'Quarry', 'Harvest', 'Ridge', 'River',
  'Summit', 'Tower', 'Valley', 'Vertex', 'Willow', 'Zenith', 'Atlas', 'Cascade',
];
export const SYLLABLES = [
  'ka', 'ro', 'mi', 'ta', 'lu', 've', 'zo', 'ni', 'pa', 'shi', 'do', 're', 'ga', 'bu', 'fe', 'yo', 'qua', 'tri', 'sol', 'ven',
  'mar', 'lin', 'dra', 'kor', 'bel', 'ix', 'om', 'ul', 'an', 'es', 'tor', 'vik', 'zen', 'pol', 'mun', 'rad', 'sek', 'hal', 'nor', 'fin',
  'gal', 'dex', 'lor', 'mav', 'tiv', 'cor', 'bra', 'sto', 'plu', 'wex',
];

/** The brand word of account `id`, as the seeder's SQL makes it. */
export function brandOf(id: number): string {
  return SYLLABLES[id % 50] + SYLLABLES[Math.floor(id / 50) % 50] + SYLLABLES[Math.floor(id / 2500) % 50];
}

export const COUNTRIES = ['US', 'DE', 'FR', 'GB', 'NL', 'SE', 'ES', 'IT', 'PL', 'CA', 'AU', 'JP', 'BR', 'IN', 'CH', 'AT', 'BE', 'DK', 'NO', 'FI'];
export const PLANS = ['free', 'pro', 'team', 'enterprise'];
