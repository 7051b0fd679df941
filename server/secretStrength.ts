// How strong a shared secret (JWT_SECRET, TURN_SECRET) looks, for the production start-up
// check. Anyone who knows the secret mints tokens with any grant, so a secret published
// in this repository, or one with little entropy, must not run in production.

/** Estimated bits below which production refuses a secret. */
export const MIN_SECRET_BITS = 128;

/**
 * Secrets published in this repository (the compose file's former defaults, the
 * Kubernetes example's placeholder, the tests' secret): never secret anywhere.
 */
export const PUBLISHED_EXAMPLE_SECRETS: readonly string[] = [
  'compose-demo-secret-NOT-FOR-PRODUCTION-0000',
  'compose-demo-turn-secret-NOT-FOR-PRODUCTION',
  'change-me',
  'test-secret-that-is-at-least-32-characters-long',
];

/**
 * Bits of entropy a secret appears to have: its length (a repeated unit counts once)
 * times log2 of the alphabet it draws from (hex digits count as 16, otherwise the
 * character classes it uses: 26 lower, 26 upper, 10 digits, 33 others), scaled down when
 * it uses far fewer distinct characters than a random string of that length would.
 * An estimate: it catches `aaaa…`, `abab…` and short secrets, not an English sentence.
 */
export function estimateSecretBits(secret: string): number {
  const chars = [...secret];
  const n = chars.length;
  if (n === 0) return 0;
  const alphabet = alphabetSize(secret);
  const length = repeatedUnitLength(chars);
  const distinct = new Set(chars).size;
  // Distinct characters a random string of n characters from this alphabet has, on average.
  const expectedDistinct = alphabet * (1 - (1 - 1 / alphabet) ** n);
  // 0.6: a random 32-character hex secret falls below this far less than once in a million.
  const spread = Math.min(1, distinct / (0.6 * expectedDistinct));
  return length * Math.log2(alphabet) * spread;
}

/** Why a secret must not be used in production, or undefined when it may. */
export function secretProblem(secret: string): string | undefined {
  if (PUBLISHED_EXAMPLE_SECRETS.includes(secret) || /not-for-production/i.test(secret)) {
    return 'is a published example secret: generate your own (openssl rand -base64 32)';
  }
  const bits = Math.floor(estimateSecretBits(secret));
  if (bits < MIN_SECRET_BITS) {
    return `has too little entropy (about ${bits} bits, at least ${MIN_SECRET_BITS} needed): generate one with openssl rand -base64 32`;
  }
  return undefined;
}

function alphabetSize(secret: string): number {
  if (/^[0-9]+$/.test(secret)) return 10;
  if (/^[0-9a-f]+$/.test(secret) || /^[0-9A-F]+$/.test(secret)) return 16;
  let size = 0;
  if (/[a-z]/.test(secret)) size += 26;
  if (/[A-Z]/.test(secret)) size += 26;
  if (/[0-9]/.test(secret)) size += 10;
  if (/[^a-zA-Z0-9]/.test(secret)) size += 33;
  return size;
}

/** The length of the unit a string repeats (`abcabcabc` → 3), or its whole length. */
function repeatedUnitLength(chars: string[]): number {
  const n = chars.length;
  for (let p = 1; p <= n / 2; p++) {
    let repeats = true;
    for (let i = p; i < n && repeats; i++) repeats = chars[i] === chars[i - p];
    if (repeats) return p;
  }
  return n;
}
