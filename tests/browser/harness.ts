import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { DEMO_FILES } from '../../src/http/routes/demo';
import { createContractChecker } from '../helpers/openapi-check';
import { createTestApp, type TestApp } from '../helpers/test-app';
import { findChromium } from './chromium';

// A closed network: no update checks, no QUIC probes, no sign-in or sync, no first-run pages.
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-quic',
  '--no-first-run',
  '--disable-sync',
];

/** A server on 127.0.0.1 with a port of its own; `origin` is what a browser calls it. */
export interface Listening {
  origin: string;
  close(): Promise<void>;
}

async function listen(handler: Parameters<typeof createServer>[1], port = 0): Promise<Listening> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Keycard extends Listening {
  testApp: TestApp;
}

export async function startKeycard(label: string, env: Record<string, string> = {}) {
  const testApp = await createTestApp(label, env);
  const listening = await listen(testApp.app);
  return {
    ...listening,
    testApp,
    async close() {
      await listening.close();
      await testApp.close();
    },
  } satisfies Keycard;
}

/**
 * The demo's own files served by another server, as a frontend on another origin would be:
 * its CSP lets the page talk to itself and to keycard, nothing else.
 */
export async function serveDemoElsewhere(keycardOrigin: string, port = 0): Promise<Listening> {
  const app = express();
  app.use((_req, res, next) => {
    res.set(
      'Content-Security-Policy',
      `default-src 'self'; connect-src 'self' ${keycardOrigin}; base-uri 'none'`,
    );
    next();
  });
  app.get(['/demo', '/demo/'], (_req, res) => res.sendFile(join(DEMO_FILES, 'index.html')));
  app.use('/demo', express.static(DEMO_FILES, { index: false }));
  return listen(app, port);
}

/** One fresh Chromium profile, and everything the page did that a test may want to check. */
export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  consoleErrors: string[];
  /** Every URL the browser asked for, in order. */
  requests: { method: string; url: string }[];
  /** keycard's answers that break /openapi.json. */
  contractProblems: string[];
  close(): Promise<void>;
}

export async function openBrowser(keycardOrigin: string): Promise<BrowserSession> {
  const profile = mkdtempSync(join(tmpdir(), 'keycard-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: findChromium().path,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1100, height: 800 },
  });
  const check = createContractChecker();
  const session: BrowserSession = {
    context,
    page: context.pages()[0] ?? (await context.newPage()),
    consoleErrors: [],
    requests: [],
    contractProblems: [],
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
  session.page.on('console', (message) => {
    if (message.type() === 'error') session.consoleErrors.push(message.text());
  });
  session.page.on('pageerror', (error) => session.consoleErrors.push(String(error)));
  context.on('request', (request) => {
    session.requests.push({ method: request.method(), url: request.url() });
  });
  context.on('response', async (response) => {
    const url = new URL(response.url());
    const isJson = (response.headers()['content-type'] ?? '').includes('application/json');
    if (url.origin !== keycardOrigin || response.request().method() === 'OPTIONS') return;
    // A body is gone once the page navigated away; such a response cannot be checked.
    const text = isJson ? await response.text().catch(() => undefined) : '';
    if (text === undefined) return;
    const { problem } = check({
      method: response.request().method(),
      path: url.pathname + url.search,
      status: response.status(),
      body: text ? JSON.parse(text) : undefined,
      text,
    });
    if (problem) session.contractProblems.push(problem);
  });
  return session;
}

/** The origins a session's requests went to. */
export function originsOf(session: BrowserSession): string[] {
  return [...new Set(session.requests.map((request) => new URL(request.url).origin))].sort();
}

export function countRequests(session: BrowserSession, method: string, path: string): number {
  return session.requests.filter(
    (request) => request.method === method && new URL(request.url).pathname === path,
  ).length;
}
