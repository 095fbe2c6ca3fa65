import type { Page } from 'playwright-core';
import {
  openBrowser,
  originsOf,
  serveDemoElsewhere,
  startKeycard,
  type BrowserSession,
  type Keycard,
  type Listening,
} from './harness';

let browser: BrowserSession | undefined;
let counter = 0;

afterEach(async () => {
  await browser?.close();
  browser = undefined;
});

async function fillAndRegister(page: Page): Promise<string> {
  counter += 1;
  const email = `grace${counter}@example.com`;
  await page.getByLabel('Name').fill('Grace Hopper');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('compiler pioneer');
  await page.getByRole('button', { name: 'Register' }).click();
  return email;
}

/** keycard, and the demo's files served on another port (another origin, the same site). */
async function withFrontend(
  env: (frontendOrigin: string) => Record<string, string>,
  run: (keycard: Keycard, frontend: Listening) => Promise<void>,
  options: { frontendHost?: string } = {},
): Promise<void> {
  // The frontend must know keycard's origin for its CSP, and keycard the frontend's for CORS:
  // reserve the frontend's port first with a placeholder keycard origin, then restart it.
  const probe = await serveDemoElsewhere('http://127.0.0.1:1');
  const port = new URL(probe.origin).port;
  await probe.close();
  const frontendOrigin = `http://${options.frontendHost ?? '127.0.0.1'}:${port}`;
  const keycard = await startKeycard(`browser_other_origin_${counter}`, env(frontendOrigin));
  const frontend = await serveDemoElsewhere(keycard.origin, Number(port));
  try {
    await run(keycard, { ...frontend, origin: frontendOrigin });
  } finally {
    await frontend.close();
    await keycard.close();
  }
}

describe('the demo served from another origin', () => {
  it('works with credentials when that origin is in CORS_ORIGINS, and after a reload', async () => {
    await withFrontend(
      (origin) => ({ CORS_ORIGINS: origin }),
      async (keycard, frontend) => {
        browser = await openBrowser(keycard.origin);
        const { page } = browser;
        await page.goto(`${frontend.origin}/demo/?api=${encodeURIComponent(keycard.origin)}`);
        const email = await fillAndRegister(page);
        await page.locator('#who', { hasText: email }).waitFor();
        await page.reload();
        await page.locator('#who', { hasText: email }).waitFor();
        await page.locator('#sessions li').first().waitFor();
        expect(originsOf(browser)).toEqual([keycard.origin, frontend.origin].sort());
        expect(browser.consoleErrors).toEqual([]);
        expect(browser.contractProblems).toEqual([]);
      },
    );
  }, 60_000);

  it('is refused by CORS when that origin is not listed', async () => {
    await withFrontend(
      () => ({ CORS_ORIGINS: 'http://127.0.0.1:1' }),
      async (keycard, frontend) => {
        browser = await openBrowser(keycard.origin);
        const { page } = browser;
        await page.goto(`${frontend.origin}/demo/?api=${encodeURIComponent(keycard.origin)}`);
        await fillAndRegister(page);
        await page.locator('#status', { hasText: 'Could not reach keycard' }).waitFor();
        expect(await page.locator('#signed-in').isHidden()).toBe(true);
        // The only errors are the browser's own report of the refusal.
        expect(browser.consoleErrors).toEqual([
          expect.stringMatching(/has been blocked by CORS policy/),
          'Failed to load resource: net::ERR_FAILED',
        ]);
        expect(originsOf(browser)).toEqual([keycard.origin, frontend.origin].sort());
        // The preflight was refused, so the registration itself never reached keycard.
        expect(await keycard.testApp.context.core.users.countDocuments()).toBe(0);
      },
    );
  }, 60_000);

  // What Chromium 156 shows: a page on another SITE gets no refresh cookie from keycard at all,
  // whatever REFRESH_COOKIE_SAMESITE says, since third-party cookies are blocked (SameSite=None
  // cookies on http://localhost and 127.0.0.1 are kept first-party only). Signing in works; a
  // reload cannot restore the session, and the page says signed out.
  it.each(['none', 'strict'])(
    'on another site (localhost vs 127.0.0.1) with REFRESH_COOKIE_SAMESITE=%s, signs in but a reload finds no cookie',
    async (sameSite) => {
      await withFrontend(
        (origin) => ({ CORS_ORIGINS: origin, REFRESH_COOKIE_SAMESITE: sameSite }),
        async (keycard, frontend) => {
          browser = await openBrowser(keycard.origin);
          const { page } = browser;
          await page.goto(`${frontend.origin}/demo/?api=${encodeURIComponent(keycard.origin)}`);
          const email = await fillAndRegister(page);
          await page.locator('#who', { hasText: email }).waitFor();
          expect(await browser.context.cookies()).toEqual([]);
          await page.reload();
          await page.getByRole('button', { name: 'Log in' }).waitFor();
          expect(browser.consoleErrors).toEqual([
            'Failed to load resource: the server responded with a status of 400 (Bad Request)',
          ]);
          expect(browser.contractProblems).toEqual([]);
        },
        { frontendHost: 'localhost' },
      );
    },
    60_000,
  );
});
