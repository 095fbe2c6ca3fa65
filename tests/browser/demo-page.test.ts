import type { Page } from 'playwright-core';
import { request } from '../helpers/test-app';
import {
  countRequests,
  openBrowser,
  originsOf,
  startKeycard,
  type BrowserSession,
  type Keycard,
} from './harness';
import { screenshotPath } from '../helpers/screenshots';

const PASSWORD = 'analytical engine';

let keycard: Keycard;
let browser: BrowserSession | undefined;
let counter = 0;

beforeAll(async () => {
  keycard = await startKeycard('browser_demo');
}, 60_000);
afterAll(() => keycard?.close());
afterEach(async () => {
  await browser?.close();
  browser = undefined;
});

async function open(server: Keycard = keycard): Promise<BrowserSession> {
  browser = await openBrowser(server.origin);
  return browser;
}

/** Registers through the page's form and waits until it shows the signed-in email. */
async function register(page: Page): Promise<string> {
  counter += 1;
  const email = `ada${counter}@example.com`;
  await page.getByLabel('Name').fill('Ada Lovelace');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Register' }).click();
  await signedInAs(page, email);
  return email;
}

async function signedInAs(page: Page, email: string): Promise<void> {
  await page.locator('#who', { hasText: email }).waitFor();
}

async function refreshCookie(session: BrowserSession) {
  const cookies = await session.context.cookies();
  return cookies.find((cookie) => cookie.name === 'keycard_refresh');
}

/** Nothing but keycard's own origin, no console error, and every answer as documented. */
function expectCleanRun(session: BrowserSession, origin = keycard.origin): void {
  expect(originsOf(session)).toEqual([origin]);
  expect(session.consoleErrors).toEqual([]);
  expect(session.contractProblems).toEqual([]);
}

describe('/demo in Chromium', () => {
  it('registers, shows the email, and is still signed in after a reload (from the cookie)', async () => {
    const session = await open();
    const { page } = session;
    await page.goto(`${keycard.origin}/demo`);
    const email = await register(page);
    expect(await page.locator('#profile').textContent()).toContain('Ada Lovelace');
    const cookie = await refreshCookie(session);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/auth' });
    // The access token is in memory only: nothing of it in any storage the page can read.
    // The page's storage, read in the page (tsconfig has no DOM types, hence the string).
    const stored = await page.evaluate(
      'JSON.stringify({ ...localStorage, ...sessionStorage, cookie: document.cookie })',
    );
    expect(stored).not.toMatch(/eyJ/);

    await page.reload();
    await signedInAs(page, email);
    await page.locator('#sessions li').first().waitFor();
    await page.screenshot({ path: screenshotPath('demo-page.png') });
    expect(countRequests(session, 'POST', '/api/auth/refresh')).toBe(1);
    expectCleanRun(session);
  }, 60_000);

  it('with ACCESS_TOKEN_TTL=2s, 3 s later the profile still loads, after exactly one refresh', async () => {
    const shortLived = await startKeycard('browser_demo_ttl', { ACCESS_TOKEN_TTL: '2s' });
    try {
      const session = await open(shortLived);
      const { page } = session;
      await page.goto(`${shortLived.origin}/demo`);
      await register(page);
      await page.locator('#sessions li').first().waitFor();
      const before = session.requests.length;
      // The point of the test is the passing of time: the token must really have expired.
      await page.waitForTimeout(3000);
      await page.getByRole('button', { name: 'Reload profile' }).click();
      await page.waitForResponse(
        (response) => response.url().endsWith('/api/profile') && response.status() === 200,
      );
      const after = session.requests.slice(before).map(({ method, url }) => {
        return `${method} ${new URL(url).pathname}`;
      });
      expect(after).toEqual(['GET /api/profile', 'POST /api/auth/refresh', 'GET /api/profile']);
      expect(await page.locator('#who').textContent()).toMatch(/@example\.com$/);
      // Chromium logs every 4xx as a console error: the expired token's 401 is the only one.
      expect(session.consoleErrors).toEqual([
        'Failed to load resource: the server responded with a status of 401 (Unauthorized)',
      ]);
      expect(session.contractProblems).toEqual([]);
      expect(originsOf(session)).toEqual([shortLived.origin]);
    } finally {
      await browser?.close();
      browser = undefined;
      await shortLived.close();
    }
  }, 60_000);

  it('lists the sessions and revokes one, which is then gone', async () => {
    const session = await open();
    const { page } = session;
    await page.goto(`${keycard.origin}/demo`);
    const email = await register(page);
    const elsewhere = await request(keycard.testApp.app)
      .post('/api/auth/login')
      .set('User-Agent', 'Another Device')
      .send({ email, password: PASSWORD })
      .expect(200);
    await page.getByRole('button', { name: 'Reload sessions' }).click();
    await page.locator('#sessions li', { hasText: 'Another Device' }).waitFor();
    expect(await page.locator('#sessions li').count()).toBe(2);

    await page.getByRole('button', { name: /^Revoke session/ }).click();
    await page
      .locator('#sessions li', { hasText: 'Another Device' })
      .waitFor({ state: 'detached' });
    expect(await page.locator('#sessions li').allTextContents()).toEqual([
      expect.stringMatching(/^This session/),
    ]);
    await request(keycard.testApp.app)
      .get('/api/profile')
      .set('Authorization', `Bearer ${elsewhere.body.token}`)
      .expect(401);
    expectCleanRun(session);
  }, 60_000);

  it('logs out: signed out, the refresh cookie gone, the session ended', async () => {
    const session = await open();
    const { page } = session;
    await page.goto(`${keycard.origin}/demo`);
    await register(page);
    const cookie = await refreshCookie(session);
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    expect(await refreshCookie(session)).toBeUndefined();
    await request(keycard.testApp.app)
      .post('/api/auth/refresh')
      .send({ refreshToken: cookie?.value })
      .expect(401);
    await page.reload();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    expect(await page.locator('#signed-in').isHidden()).toBe(true);
    expectCleanRun(session);
  }, 60_000);

  it('logs out everywhere: every session of the user ends', async () => {
    const session = await open();
    const { page } = session;
    await page.goto(`${keycard.origin}/demo`);
    const email = await register(page);
    const elsewhere = await request(keycard.testApp.app)
      .post('/api/auth/login')
      .send({ email, password: PASSWORD })
      .expect(200);
    await page.getByRole('button', { name: 'Log out everywhere' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    expect(await refreshCookie(session)).toBeUndefined();
    const other = await request(keycard.testApp.app)
      .get('/api/profile')
      .set('Authorization', `Bearer ${elsewhere.body.token}`);
    expect(other.body.code).toBe('session_revoked');
    expectCleanRun(session);
  }, 60_000);

  it('logs in again with the same account', async () => {
    const session = await open();
    const { page } = session;
    await page.goto(`${keycard.origin}/demo`);
    const email = await register(page);
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await signedInAs(page, email);
    expectCleanRun(session);
  }, 60_000);
});
