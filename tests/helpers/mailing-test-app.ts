import { createTestApp, type TestApp } from './test-app';
import { startTestSmtp, type TestSmtp } from './test-smtp';

export interface MailingTestApp {
  smtp: TestSmtp;
  testApp: TestApp;
  close(): Promise<void>;
}

/** A test app whose mail goes to a real SMTP server on 127.0.0.1, with its sender running. */
export async function startMailingTestApp(
  label: string,
  env: Record<string, string> = {},
  options: Parameters<typeof createTestApp>[2] = {},
): Promise<MailingTestApp> {
  const smtp = await startTestSmtp();
  const testApp = await createTestApp(label, { SMTP_URL: smtp.url, ...env }, options);
  testApp.context.mailSender.start();
  return {
    smtp,
    testApp,
    async close() {
      await testApp.close();
      await smtp.stop();
    },
  };
}
