// Production refuses secrets that anyone could know or guess: the ones published in this
// repository, and ones with too little entropy. Random secrets of 128 bits pass.
import { randomBytes } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.js';
import { estimateSecretBits, MIN_SECRET_BITS, PUBLISHED_EXAMPLE_SECRETS, secretProblem } from '../../server/secretStrength.js';

const GOOD = randomBytes(32).toString('base64url');
const TURN_URLS = 'turn:127.0.0.1:3478';

function productionError(env: Record<string, string>): string {
  try {
    loadConfig({ NODE_ENV: 'production', ...env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('secret strength', () => {
  it('passes random secrets of 128 bits and more, in hex and base64', () => {
    for (let i = 0; i < 200; i++) {
      for (const secret of [randomBytes(16).toString('hex'), randomBytes(32).toString('hex'), randomBytes(24).toString('base64url'), randomBytes(32).toString('base64')]) {
        expect(secretProblem(secret), secret).toBeUndefined();
      }
    }
  });

  it.each([
    ['one character repeated', 'a'.repeat(64)],
    ['two characters alternating', 'ab'.repeat(32)],
    ['a short unit repeated', '0123456789abcdef'.repeat(4)],
    ['digits only, 32 of them', '31415926535897932384626433832795'],
    ['few distinct characters', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbcc'],
  ])('refuses %s as too little entropy', (_what, secret) => {
    expect(estimateSecretBits(secret)).toBeLessThan(MIN_SECRET_BITS);
    expect(secretProblem(secret)).toMatch(/too little entropy/);
  });

  it('refuses every secret published in this repository, and anything marked NOT-FOR-PRODUCTION', () => {
    for (const secret of PUBLISHED_EXAMPLE_SECRETS) expect(secretProblem(secret)).toMatch(/published example/);
    expect(secretProblem(`my-${GOOD}-not-for-production`)).toMatch(/published example/);
  });
});

describe('loadConfig: secrets in production', () => {
  it("refuses the compose file's former example JWT secret, naming the variable", () => {
    expect(productionError({ JWT_SECRET: 'compose-demo-secret-NOT-FOR-PRODUCTION-0000' })).toMatch(/JWT_SECRET: is a published example secret/);
  });

  it('refuses a JWT secret of one repeated character although it is long enough', () => {
    expect(productionError({ JWT_SECRET: 'x'.repeat(40) })).toMatch(/JWT_SECRET: has too little entropy/);
  });

  it('refuses a weak or published TURN secret', () => {
    expect(productionError({ JWT_SECRET: GOOD, TURN_SECRET: 'change-me', TURN_URLS })).toMatch(/TURN_SECRET: is a published example secret/);
    expect(productionError({ JWT_SECRET: GOOD, TURN_SECRET: 'turnturnturnturn', TURN_URLS })).toMatch(/TURN_SECRET: has too little entropy/);
  });

  it('starts with random secrets, and outside production does not judge them', () => {
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: GOOD, TURN_SECRET: randomBytes(24).toString('base64'), TURN_URLS }).jwtSecret).toBe(GOOD);
    expect(loadConfig({ JWT_SECRET: 'x'.repeat(40), TURN_SECRET: 'change-me', TURN_URLS }).jwtSecret).toBe('x'.repeat(40));
  });
});
