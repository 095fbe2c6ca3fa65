import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'dotenv';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../src/config/load-config';

const GOOD_SECRET = 'k3'.repeat(20);

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('uses the documented defaults in development', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      mongoUri: undefined,
      jwtSecretGenerated: true,
      jwtIssuer: 'keycard',
      jwtAudience: 'keycard-api',
      accessTokenTtlSeconds: 900,
      bcryptCost: 12,
      corsOrigins: [],
      logLevel: 'info',
      admin: undefined,
    });
    expect(Buffer.byteLength(config.jwtSecret)).toBeGreaterThanOrEqual(64);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('generates a different secret for every process', () => {
    expect(loadConfig({}).jwtSecret).not.toBe(loadConfig({}).jwtSecret);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      PORT: '8080',
      MONGO_URI: 'mongodb://db.internal:27017/keycard',
      SMTP_URL: 'smtp://mail.internal:587',
      JWT_SECRET: GOOD_SECRET,
      JWT_ISSUER: 'https://auth.example.com',
      JWT_AUDIENCE: 'api.example.com',
      ACCESS_TOKEN_TTL: '24h',
      BCRYPT_COST: '13',
      CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
      LOG_LEVEL: 'warn',
      ADMIN_EMAIL: 'Boss@Example.com',
      ADMIN_PASSWORD: 'a long admin password',
      ADMIN_NAME: 'Boss',
    });
    expect(config).toMatchObject({
      nodeEnv: 'production',
      port: 8080,
      mongoUri: 'mongodb://db.internal:27017/keycard',
      jwtSecret: GOOD_SECRET,
      jwtSecretGenerated: false,
      jwtIssuer: 'https://auth.example.com',
      jwtAudience: 'api.example.com',
      accessTokenTtlSeconds: 86_400,
      bcryptCost: 13,
      corsOrigins: ['https://app.example.com', 'http://localhost:5173'],
      logLevel: 'warn',
      admin: { email: 'boss@example.com', password: 'a long admin password', name: 'Boss' },
    });
  });

  it.each([
    ['30s', 30],
    ['15m', 900],
    ['7d', 604_800],
  ])('reads ACCESS_TOKEN_TTL=%s as %i seconds', (ttl, seconds) => {
    expect(loadConfig({ ACCESS_TOKEN_TTL: ttl }).accessTokenTtlSeconds).toBe(seconds);
  });

  it('refuses to start in production without MONGO_URI, SMTP_URL or JWT_SECRET, naming each', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems).toEqual([
      expect.stringMatching(/^MONGO_URI: required when NODE_ENV=production/),
      expect.stringMatching(/^SMTP_URL: required when NODE_ENV=production/),
      expect.stringMatching(/^JWT_SECRET: required when NODE_ENV=production/),
    ]);
  });

  it('lists every bad variable at once', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      MONGO_URI: 'postgres://localhost',
      ACCESS_TOKEN_TTL: '15 minutes',
      BCRYPT_COST: '99',
      LOG_LEVEL: 'loud',
    });
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
      'ACCESS_TOKEN_TTL',
      'BCRYPT_COST',
      'LOG_LEVEL',
      'MONGO_URI',
      'PORT',
    ]);
  });

  it.each([
    ['a short secret', 'too-short'],
    ['the .env.example placeholder', 'replace-me-with-the-output-of-npm-run-gen-secret'],
    ['a "changeme" secret', 'changeme-changeme-changeme-changeme-changeme'],
    ['a "your-jwt-secret" secret', 'your-jwt-secret-goes-here-and-it-is-long-enough'],
  ])('refuses %s', (_label, secret) => {
    expect(problemsOf({ JWT_SECRET: secret })[0]).toMatch(/^JWT_SECRET: /);
  });

  it('refuses a bcrypt cost outside 10 to 15 in production', () => {
    const base = {
      NODE_ENV: 'production',
      MONGO_URI: 'mongodb://db/x',
      JWT_SECRET: GOOD_SECRET,
      SMTP_URL: 'smtp://mail.internal:587',
    };
    expect(problemsOf({ ...base, BCRYPT_COST: '4' })).toEqual([
      'BCRYPT_COST: must be between 10 and 15 when NODE_ENV=production',
    ]);
    expect(loadConfig({ ...base, BCRYPT_COST: '10' }).bcryptCost).toBe(10);
  });

  it.each([['*'], ['null'], ['app.example.com'], ['https://app.example.com/path']])(
    'refuses %s in CORS_ORIGINS',
    (origin) => {
      expect(problemsOf({ CORS_ORIGINS: origin })[0]).toMatch(/^CORS_ORIGINS: /);
    },
  );

  it('wants ADMIN_EMAIL and ADMIN_PASSWORD together, valid', () => {
    expect(problemsOf({ ADMIN_EMAIL: 'a@example.com' })).toEqual([
      'ADMIN_EMAIL and ADMIN_PASSWORD: set both or neither',
    ]);
    expect(problemsOf({ ADMIN_EMAIL: 'nope', ADMIN_PASSWORD: 'short' }).sort()).toEqual([
      expect.stringMatching(/^ADMIN_EMAIL: /),
      expect.stringMatching(/^ADMIN_PASSWORD: /),
    ]);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ MONGO_URI: '', JWT_SECRET: '', PORT: '' })).toMatchObject({
      mongoUri: undefined,
      jwtSecretGenerated: true,
      port: 3000,
    });
  });
});

describe('EMBEDDED_MONGO_DBPATH', () => {
  it.each([
    ['unset, in development', resolve('.keycard-data'), {}],
    ['unset, in tests', undefined, { NODE_ENV: 'test' }],
    ['memory', undefined, { EMBEDDED_MONGO_DBPATH: 'memory' }],
    ['memory, in tests', undefined, { NODE_ENV: 'test', EMBEDDED_MONGO_DBPATH: 'memory' }],
    ['a relative path', resolve('data/db'), { EMBEDDED_MONGO_DBPATH: 'data/db' }],
    ['a path, in tests', '/srv/k', { NODE_ENV: 'test', EMBEDDED_MONGO_DBPATH: '/srv/k' }],
    ['blank', resolve('.keycard-data'), { EMBEDDED_MONGO_DBPATH: '  ' }],
  ])('%s: keeps the data in %p (undefined: in memory)', (_label, expected, env) => {
    expect(loadConfig(env).embeddedMongoDbPath).toBe(expected);
  });
});

describe('.env.example', () => {
  const text = readFileSync(join(__dirname, '..', '.env.example'), 'utf8');

  it('loads as a valid development configuration', () => {
    expect(loadConfig(parse(text))).toMatchObject({ nodeEnv: 'development', port: 3000 });
  });

  it('documents every variable the schema reads', () => {
    for (const name of [
      ...CONFIG_VARIABLES,
      'NODE_ENV',
      'PORT',
      'MONGO_URI',
      'JWT_SECRET',
      'JWT_ISSUER',
      'JWT_AUDIENCE',
      'ACCESS_TOKEN_TTL',
      'BCRYPT_COST',
      'CORS_ORIGINS',
      'LOG_LEVEL',
      'ADMIN_EMAIL',
      'ADMIN_PASSWORD',
      'ADMIN_NAME',
      'EMBEDDED_MONGO',
      'EMBEDDED_MONGO_DBPATH',
      'SHUTDOWN_TIMEOUT',
      'EVENT_LOOP_REPORT_INTERVAL',
      'MONGO_CONNECT_TIMEOUT',
      'AUTH_CACHE',
      'AUTH_CACHE_MAX_STALENESS',
      'WEB_CONCURRENCY',
      'PASSWORD_QUEUE_MAX_WAIT',
      'SMTP_URL',
      'MAIL_FROM',
      'APP_URL',
      'MAIL_MAX_AGE',
      'PASSWORD_RESET_TTL',
      'PASSWORD_RESET_MAX_PER_HOUR',
      'MAIL_MAX_PER_IP_PER_HOUR',
      'EMAIL_VERIFICATION_TTL',
      'REQUIRE_EMAIL_VERIFICATION',
    ]) {
      expect(text).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
    }
  });

  it('holds a JWT_SECRET placeholder that is refused if copied as it is', () => {
    const placeholder = /^# JWT_SECRET=(.+)$/m.exec(text)?.[1] ?? '';
    expect(placeholder).not.toBe('');
    expect(problemsOf({ JWT_SECRET: placeholder })).toEqual([
      'JWT_SECRET: looks like a placeholder; generate one with npm run gen-secret',
    ]);
  });
});

describe('loadConfig for sessions, rotation and limits', () => {
  it('reads REFRESH_TOKEN_TTL, JWT_PREVIOUS_SECRETS, TRUST_PROXY and the limits', () => {
    const config = loadConfig({
      REFRESH_TOKEN_TTL: '30d',
      JWT_PREVIOUS_SECRETS: `${GOOD_SECRET}, ${'z9'.repeat(20)}`,
      TRUST_PROXY: '2',
      LOGIN_MAX_FAILURES: '3',
      LOGIN_MAX_FAILURES_PER_DAY: '50',
      LOGIN_MAX_ATTEMPTS_PER_IP: '20',
      REGISTER_MAX_PER_HOUR: '4',
      REFRESH_MAX_PER_MINUTE: '30',
    });
    expect(config).toMatchObject({
      refreshTokenTtlSeconds: 30 * 86_400,
      jwtPreviousSecrets: [GOOD_SECRET, 'z9'.repeat(20)],
      trustProxy: 2,
      rateLimits: {
        loginPerIp: { max: 20, windowSeconds: 15 * 60 },
        registerPerIp: { max: 4, windowSeconds: 3600 },
        refreshPerIp: { max: 30, windowSeconds: 60 },
        login: {
          failuresPerPair: { max: 3, windowSeconds: 86_400 },
          failuresPerEmail: { max: 50, windowSeconds: 86_400 },
        },
      },
    });
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'loopback' }).trustProxy).toBe('loopback');
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toBe(
      'loopback, 10.0.0.0/8',
    );
  });

  it.each(['true', 'everyone', '10.0.0.0/8, nonsense'])(
    'refuses TRUST_PROXY=%s, explaining hop counts and subnets',
    (value) => {
      expect(problemsOf({ TRUST_PROXY: value })).toEqual([
        expect.stringMatching(/^TRUST_PROXY: must be the number of proxies .* subnets/),
      ]);
    },
  );

  it('keeps reading the limits beside TRUST_PROXY', () => {
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
  });

  it('refuses a weak previous secret and a zero limit', () => {
    expect(problemsOf({ JWT_PREVIOUS_SECRETS: 'short', LOGIN_MAX_FAILURES: '0' }).sort()).toEqual([
      expect.stringMatching(/^JWT_PREVIOUS_SECRETS: must be at least 32 bytes/),
      expect.stringMatching(/^LOGIN_MAX_FAILURES: /),
    ]);
  });
});

describe('loadConfig for the pages and the refresh cookie', () => {
  it('serves the demo by default outside production, not in production', () => {
    expect(loadConfig({}).demoPage).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test' }).demoPage).toBe(true);
    const production = {
      NODE_ENV: 'production',
      MONGO_URI: 'mongodb://db/keycard',
      JWT_SECRET: GOOD_SECRET,
      SMTP_URL: 'smtp://mail.example.com:587',
    };
    expect(loadConfig(production).demoPage).toBe(false);
    expect(loadConfig({ ...production, DEMO_PAGE: 'on' }).demoPage).toBe(true);
    expect(loadConfig({ ...production, DEMO_PAGE: 'true' }).demoPage).toBe(true);
    expect(loadConfig({ DEMO_PAGE: 'off' }).demoPage).toBe(false);
    expect(loadConfig({ DEMO_PAGE: 'false' }).demoPage).toBe(false);
  });

  it('reads REFRESH_COOKIE_SAMESITE, strict by default', () => {
    expect(loadConfig({}).refreshCookieSameSite).toBe('strict');
    for (const value of ['strict', 'lax', 'none'] as const) {
      expect(loadConfig({ REFRESH_COOKIE_SAMESITE: value }).refreshCookieSameSite).toBe(value);
    }
  });

  it('refuses anything else for both, naming the variable', () => {
    expect(problemsOf({ DEMO_PAGE: 'maybe', REFRESH_COOKIE_SAMESITE: 'None' })).toEqual([
      'DEMO_PAGE: must be one of on, off, true, false',
      'REFRESH_COOKIE_SAMESITE: must be one of strict, lax, none',
    ]);
  });
});

describe('loadConfig for mail', () => {
  it('uses the documented defaults', () => {
    expect(loadConfig({})).toMatchObject({
      mail: {
        smtpUrl: undefined,
        from: 'keycard <no-reply@localhost>',
        appUrl: 'http://localhost:3000',
        maxAgeSeconds: 86_400,
      },
      accountTokenLifetimes: { passwordResetSeconds: 1800, emailVerificationSeconds: 86_400 },
      requireEmailVerification: false,
      rateLimits: {
        mailPerIp: { max: 20, windowSeconds: 3600 },
        mailPerAccount: { max: 3, windowSeconds: 3600 },
      },
    });
  });

  it('reads every mail variable', () => {
    const config = loadConfig({
      SMTP_URL: 'smtps://user:pa%40ss@mail.example.com:465',
      MAIL_FROM: 'Example <no-reply@example.com>',
      APP_URL: 'https://app.example.com/account/',
      MAIL_MAX_AGE: '2h',
      PASSWORD_RESET_TTL: '15m',
      EMAIL_VERIFICATION_TTL: '3d',
      PASSWORD_RESET_MAX_PER_HOUR: '5',
      MAIL_MAX_PER_IP_PER_HOUR: '50',
      REQUIRE_EMAIL_VERIFICATION: 'true',
    });
    expect(config).toMatchObject({
      mail: {
        smtpUrl: 'smtps://user:pa%40ss@mail.example.com:465',
        from: 'Example <no-reply@example.com>',
        appUrl: 'https://app.example.com/account',
        maxAgeSeconds: 7200,
      },
      accountTokenLifetimes: { passwordResetSeconds: 900, emailVerificationSeconds: 259_200 },
      requireEmailVerification: true,
      rateLimits: {
        mailPerIp: { max: 50, windowSeconds: 3600 },
        mailPerAccount: { max: 5, windowSeconds: 3600 },
      },
    });
  });

  it('lists every bad mail variable at once, without echoing SMTP_URL', () => {
    const problems = problemsOf({
      SMTP_URL: 'http://user:hunter2@mail.example.com',
      MAIL_FROM: 'keycard',
      APP_URL: 'ftp://app.example.com',
      MAIL_MAX_AGE: 'a day',
      PASSWORD_RESET_TTL: '0m',
      EMAIL_VERIFICATION_TTL: '1 week',
      PASSWORD_RESET_MAX_PER_HOUR: '0',
      REQUIRE_EMAIL_VERIFICATION: 'yes',
    });
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
      'APP_URL',
      'EMAIL_VERIFICATION_TTL',
      'MAIL_FROM',
      'MAIL_MAX_AGE',
      'PASSWORD_RESET_MAX_PER_HOUR',
      'PASSWORD_RESET_TTL',
      'REQUIRE_EMAIL_VERIFICATION',
      'SMTP_URL',
    ]);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('refuses an APP_URL with a query and a MAIL_FROM with a line break', () => {
    expect(problemsOf({ APP_URL: 'https://app.example.com/?x=1' })[0]).toMatch(/^APP_URL: /);
    expect(problemsOf({ MAIL_FROM: 'a <x@example.com>\r\nBcc: y@example.com' })[0]).toMatch(
      /^MAIL_FROM: /,
    );
  });
});
