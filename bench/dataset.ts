/**
 * The shape of the seeded data set, as SQL expressions of a row number. Everything is derived from
 * the row number with PostgreSQL's `hashint8extended`, so a data set is reproducible: the same
 * `--users`/`--logs` give the same ids, names and timestamps on every machine, and the log rows can
 * name existing users without reading the users table.
 */

/** Bumped whenever the generated data changes, so an old seeded cluster is re-seeded. */
export const SEED_SCHEME = 2;

export const FIRST_NAMES = [
  'James',
  'Mary',
  'Robert',
  'Patricia',
  'John',
  'Jennifer',
  'Michael',
  'Linda',
  'David',
  'Elizabeth',
  'William',
  'Barbara',
  'Richard',
  'Susan',
  'Joseph',
  'Jessica',
  'Thomas',
  'Sarah',
  'Carlos',
  'Karen',
  'Daniel',
  'Lisa',
  'Matthew',
  'Nancy',
  'Anthony',
  'Sandra',
  'Mark',
  'Ashley',
  'Wei',
  'Mei',
  'Hiroshi',
  'Yuki',
  'Ahmed',
  'Fatima',
  'Ivan',
  'Olga',
  'Lukas',
  'Sofia',
  'Mateo',
  'Valentina',
  'Noah',
  'Emma',
  'Liam',
  'Olivia',
  'Arjun',
  'Priya',
  'Kwame',
  'Amara',
  'Pierre',
  'Chloe',
  'Giulia',
  'Marco',
  'Sven',
  'Ingrid',
  'Tomasz',
  'Zofia',
  'Diego',
  'Lucia',
  'Omar',
  'Leila',
];

export const LAST_NAMES = [
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Garcia',
  'Miller',
  'Davis',
  'Rodriguez',
  'Martinez',
  'Hernandez',
  'Lopez',
  'Gonzalez',
  'Wilson',
  'Anderson',
  'Thomas',
  'Taylor',
  'Moore',
  'Jackson',
  'Martin',
  'Lee',
  'Perez',
  'Thompson',
  'White',
  'Harris',
  'Sanchez',
  'Clark',
  'Ramirez',
  'Lewis',
  'Robinson',
  'Walker',
  'Young',
  'Allen',
  'King',
  'Wright',
  'Scott',
  'Nguyen',
  'Hill',
  'Flores',
  'Green',
  'Adams',
  'Nelson',
  'Baker',
  'Hall',
  'Rivera',
  'Campbell',
  'Mitchell',
  'Carter',
  'Roberts',
  'Muller',
  'Schmidt',
  'Tanaka',
  'Suzuki',
  'Kowalski',
  'Novak',
  'Rossi',
  'Dubois',
  'Kumar',
  'Singh',
  'Wang',
];

export const EMAIL_DOMAINS = ['gmail.com', 'outlook.com', 'yahoo.com', 'icloud.com', 'proton.me', 'example.org', 'acme.io', 'fastmail.com'];

/**
 * Phone numbers in Roster's normalised form: country code + national number without trunk zero.
 * Country codes are prefix-free and each country's national numbers have one length, so numbers of
 * different countries never collide; within a country the free digits are a bijection of the row number.
 */
export const PHONE_PLANS = [
  { cc: '1', prefix: '415', digits: 7 },
  { cc: '44', prefix: '7', digits: 9 },
  { cc: '49', prefix: '151', digits: 8 },
  { cc: '33', prefix: '6', digits: 8 },
  { cc: '81', prefix: '90', digits: 8 },
  { cc: '91', prefix: '98', digits: 8 },
  { cc: '61', prefix: '4', digits: 8 },
  { cc: '55', prefix: '119', digits: 8 },
  { cc: '86', prefix: '138', digits: 8 },
  { cc: '34', prefix: '6', digits: 8 },
];
/** Row numbers below this keep every country's free digits injective (the smallest plan has 10^7 × 10). */
export const MAX_USERS = 100_000_000;

export const PLANS = ['free', 'free', 'free', 'pro', 'pro', 'team', 'enterprise'];
export const SIGNUP_SOURCES = ['web', 'ios', 'android', 'import', 'invite', 'sso'];
export const LOCALES = ['en-US', 'en-GB', 'de-DE', 'fr-FR', 'ja-JP', 'pt-BR', 'es-ES', 'zh-CN'];
export const IDENTITY_TARGETS = ['github', 'google', 'facebook', 'apple'];
export const USER_AGENTS = ['node-fetch/1.0', '@logto/api/1.42.0', 'python-requests/2.32.3', 'Go-http-client/1.1', 'curl/8.5.0'];

/** Application ids (21 × [0-9a-z]) of the machine-to-machine clients the log rows attribute calls to. */
export const APPLICATION_IDS = [
  'm2mbillingservice0001',
  'm2mcrmsync00000000002',
  'm2msupportdesk0000003',
  'm2madminconsole00004',
  'm2manalyticsetl000005',
  'm2mmobilebackend00006',
  'm2mpartnerimport00007',
  'm2mnightlyjobs0000008',
].map((id) => id.padEnd(21, '0').slice(0, 21));

/** Log keys weighted by how often they occur (100 entries: index by a hash modulo 100). */
export const WEIGHTED_LOG_KEYS: string[] = [
  ...Array<string>(30).fill('ExchangeTokenBy.ClientCredentials'),
  ...Array<string>(20).fill('ManagementApi.User.Update'),
  ...Array<string>(10).fill('ManagementApi.User.Create'),
  ...Array<string>(10).fill('ManagementApi.User.CustomData.Update'),
  ...Array<string>(8).fill('ManagementApi.User.Password.Verify'),
  ...Array<string>(5).fill('ManagementApi.User.Profile.Update'),
  ...Array<string>(5).fill('ManagementApi.User.Password.Update'),
  ...Array<string>(5).fill('ManagementApi.User.Identity.Update'),
  ...Array<string>(3).fill('ManagementApi.User.SuspensionStatus.Update'),
  ...Array<string>(2).fill('ManagementApi.User.Delete'),
  ...Array<string>(2).fill('ManagementApi.User.Identity.Delete'),
];

/** Time span of the seeded rows: about three years of history. */
export const HISTORY_START = '2023-01-01T00:00:00Z';
export const HISTORY_END = '2025-10-01T00:00:00Z';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
const HASH_MASK = '9223372036854775807';
/** A prime above any row number: `n * P mod Q` is a bijection of [0, Q). */
const ID_MODULUS = 2147483647n;

/** A SQL string literal. */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function textArray(values: readonly string[]): string {
  return `ARRAY[${values.map(literal).join(', ')}]::text[]`;
}

/** `value` (a non-negative bigint expression below 36^width) as `width` base-36 digits. */
export function base36(value: string, width: number): string {
  const digits: string[] = [];
  for (let position = width - 1; position >= 0; position -= 1) {
    const power = 36n ** BigInt(position);
    digits.push(`substr('${ALPHABET}', ((${value}) / ${power} % 36)::int + 1, 1)`);
  }
  return digits.join(' || ');
}

/** A deterministic pseudo-random integer in [0, modulo) for row `row`; `seed` picks an independent stream. */
export function hash(row: string, seed: number, modulo: number | string): string {
  return `((hashint8extended(${row}, ${seed}) & ${HASH_MASK}) % ${modulo})`;
}

/**
 * A unique 12-character [0-9a-z] id for row number `row`, spread over the whole id space (like the
 * random ids Roster draws): a bijection of the row number in the high part, hash noise in the low part.
 */
export function scrambledId(row: string, multiplier: bigint, seed: number): string {
  const spread = 36n ** 12n / ID_MODULUS;
  return base36(`((${row}) * ${multiplier} % ${ID_MODULUS}) * ${spread} + ${hash(row, seed, spread.toString())}`, 12);
}

const USER_ID_MULTIPLIER = 1_103_515_245n;
const LOG_ID_MULTIPLIER = 1_664_525n;

/** The id of seeded user number `row` (0-based). */
export function userIdSql(row: string): string {
  return scrambledId(row, USER_ID_MULTIPLIER, 101);
}

/** A unique 21-character [0-9a-z] log id for log row `row`. */
export function logIdSql(row: string): string {
  return `${scrambledId(row, LOG_ID_MULTIPLIER, 102)} || ${base36(hash(row, 103, (36n ** 9n).toString()), 9)}`;
}

/**
 * Creation time of user `row` among `total`: evenly spread over the history, four users per
 * millisecond step, and every 40th block of 500 users imported in bulk with one shared timestamp,
 * so the list order has many ties on `created_at` (broken by id).
 */
export function userCreatedAtSql(row: string, total: number): string {
  const steps = Math.max(1, Math.ceil(total / 4));
  const stepMs = Math.max(1, Math.floor((Date.parse(HISTORY_END) - Date.parse(HISTORY_START)) / steps));
  const tick = `(CASE WHEN (${row} / 500) % 40 = 3 THEN (${row} / 500 * 500) / 4 ELSE ${row} / 4 END)`;
  return `(timestamptz ${literal(HISTORY_START)} + ${tick} * ${stepMs} * interval '1 millisecond')`;
}

/** Creation time of log row `row` among `total`: spread over the history, three rows per step. */
export function logCreatedAtSql(row: string, total: number): string {
  const steps = Math.max(1, Math.ceil(total / 3));
  const stepMs = Math.max(1, Math.floor((Date.parse(HISTORY_END) - Date.parse(HISTORY_START)) / steps));
  return `(timestamptz ${literal(HISTORY_START)} + (${row} / 3) * ${stepMs} * interval '1 millisecond')`;
}

/** Roles the seeder creates; each user holds 0 to 6 of them (3 on average), spread evenly. */
export const BENCH_ROLES = 100;
/** Most roles any one user holds. */
export const MAX_ROLES_PER_USER = 6;

/** The id of bench role `index` (0-based): `bench-role-007`. */
export function benchRoleIdSql(index: string): string {
  return `'bench-role-' || lpad((${index})::text, 3, '0')`;
}
