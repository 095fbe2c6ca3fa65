import { OPERATIONS } from '../../src/http/openapi/document';
import { openBrowser, originsOf, startKeycard, type BrowserSession, type Keycard } from './harness';
import { screenshotPath } from '../helpers/screenshots';

let keycard: Keycard;
let browser: BrowserSession;

beforeAll(async () => {
  keycard = await startKeycard('browser_docs');
  browser = await openBrowser(keycard.origin);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await keycard?.close();
});

describe('/docs in Chromium', () => {
  it('lists every operation of the document', async () => {
    const { page } = browser;
    await page.goto(`${keycard.origin}/docs`);
    await page.locator('.opblock').first().waitFor();
    expect(await page.locator('.opblock').count()).toBe(OPERATIONS.length);
    const paths = await page.locator('.opblock-summary-path').allTextContents();
    expect(paths.map((path) => path.replace(/\u200b/g, ''))).toEqual(
      expect.arrayContaining(['/api/auth/login', '/api/profile', '/api/admin/users/{id}']),
    );
    await page.screenshot({ path: screenshotPath('docs-page.png') });
  }, 60_000);

  it('"Try it out" on GET /health shows 200 from the running server', async () => {
    const { page } = browser;
    const health = page.locator('#operations-Service-health');
    await health.locator('.opblock-summary').click();
    await health.getByRole('button', { name: 'Try it out' }).click();
    await health.getByRole('button', { name: 'Execute' }).click();
    const status = health.locator('.live-responses-table .response .response-col_status');
    await status.first().waitFor();
    expect((await status.first().textContent())?.trim()).toBe('200');
    expect(await health.locator('.live-responses-table').textContent()).toContain('"status": "ok"');
  }, 60_000);

  it('loaded nothing from any other origin, and logged no error', () => {
    expect(originsOf(browser)).toEqual([keycard.origin]);
    expect(browser.consoleErrors).toEqual([]);
    expect(browser.contractProblems).toEqual([]);
  });
});
