export const MASK = '******';

const SENSITIVE_FRAGMENTS = ['secret', 'password', 'apikey', 'privatekey', 'credential', 'cookie'];

function isSensitive(lowerKey: string): boolean {
  return SENSITIVE_FRAGMENTS.some((fragment) => lowerKey.includes(fragment)) || lowerKey.endsWith('token') || lowerKey === 'authorization';
}

function isDropped(lowerKey: string): boolean {
  return lowerKey.startsWith('script') || lowerKey.endsWith('script') || lowerKey.includes('environmentvariables');
}

/**
 * Copies a value for the audit log with secrets replaced by `******` (keys naming a secret,
 * password, API key, private key, credential, cookie or token; booleans such as `hasPassword` are
 * kept) and script or environment-variable keys left out, at any depth.
 */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value === null || typeof value !== 'object') return value;
  const masked: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (child === undefined) continue;
    const lowerKey = key.toLowerCase();
    if (isDropped(lowerKey)) continue;
    masked[key] = isSensitive(lowerKey) && typeof child !== 'boolean' ? MASK : maskSecrets(child);
  }
  return masked;
}
