import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestApp, request, type TestApp } from '../helpers/test-app';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp('pages');
});
afterAll(() => testApp.close());

function directivesOf(response: { headers: Record<string, string> }): Map<string, string> {
  const policy = response.headers['content-security-policy'] ?? '';
  return new Map(
    policy.split(';').map((directive) => {
      const [name = '', ...values] = directive.trim().split(/\s+/);
      return [name, values.join(' ')];
    }),
  );
}

describe('GET /docs', () => {
  it('serves Swagger UI from node_modules under a CSP with nothing inline and no other origin', async () => {
    for (const path of ['/docs', '/docs/']) {
      const response = await request(testApp.app).get(path);
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.text).toContain('<script src="/docs/swagger-ui-bundle.js"></script>');
      expect(response.text).not.toMatch(/<style|style=|<script>|https?:\/\//);
      const csp = directivesOf(response);
      expect(csp.get('default-src')).toBe("'none'");
      expect(csp.get('script-src')).toBe("'self'");
      expect(csp.get('style-src')).toBe("'self'");
      expect(csp.get('connect-src')).toBe("'self'");
      expect(csp.get('img-src')).toBe("'self' data:");
      expect(csp.get('frame-ancestors')).toBe("'none'");
      expect(response.headers['content-security-policy']).not.toContain('unsafe');
    }
  });

  it('serves the bundle and an initializer that loads /openapi.json with no online validator', async () => {
    const bundle = await request(testApp.app).get('/docs/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers['content-type']).toMatch(/javascript/);
    const init = await request(testApp.app).get('/docs/swagger-ui-init.js');
    expect(init.status).toBe(200);
    expect(init.text).toContain('"url": "/openapi.json"');
    expect(init.text).toContain('"validatorUrl": null');
  });

  it.each(['/docs/index.html', '/docs/swagger-initializer.js', '/docs/package.json'])(
    'does not serve the package’s other files: %s is a JSON 404',
    async (path) => {
      const response = await request(testApp.app).get(path);
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: 'Not found', code: 'not_found' });
    },
  );
});

describe('GET /demo', () => {
  it('serves the page, its module and its stylesheet under a CSP of its own origin only', async () => {
    const page = await request(testApp.app).get('/demo');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<script type="module" src="/demo/demo.js"></script>');
    const csp = directivesOf(page);
    expect(csp.get('default-src')).toBe("'self'");
    expect(csp.get('base-uri')).toBe("'none'");
    expect(csp.get('object-src')).toBe("'none'");
    expect(csp.get('frame-ancestors')).toBe("'none'");
    expect(page.headers['content-security-policy']).not.toMatch(/unsafe|\*|https?:/);
    const script = await request(testApp.app).get('/demo/demo.js');
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    const style = await request(testApp.app).get('/demo/demo.css');
    expect(style.headers['content-type']).toMatch(/^text\/css/);
  });

  it('is off in production unless DEMO_PAGE turns it on, and off wherever DEMO_PAGE=off', async () => {
    const cases: [Record<string, string>, number][] = [
      [{ NODE_ENV: 'production', BCRYPT_COST: '10', SMTP_URL: 'smtp://127.0.0.1:2525' }, 404],
      [
        {
          NODE_ENV: 'production',
          BCRYPT_COST: '10',
          SMTP_URL: 'smtp://127.0.0.1:2525',
          DEMO_PAGE: 'on',
        },
        200,
      ],
      [{ DEMO_PAGE: 'off' }, 404],
    ];
    for (const [env, status] of cases) {
      const app = await createTestApp('pages_demo_switch', env);
      try {
        const response = await request(app.app).get('/demo');
        expect({ env, status: response.status }).toEqual({ env, status });
        if (status === 404) expect(response.body.code).toBe('not_found');
      } finally {
        await app.close();
      }
    }
  });
});

describe('package.json', () => {
  it('turns off swagger-ui-dist’s install-time analytics (Scarf)', () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
    expect(manifest.scarfSettings).toEqual({ enabled: false });
  });
});
