import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import type { OpenAPIV3 } from 'openapi-types';
import { chromium, type Browser, type Locator, type Page, type Request, type Response } from 'playwright-core';
import { contractPath, docsPath } from '../../src/paths';
import { startServiceProcess, type ServiceProcess } from '../support/processes';

// The API reference partners read: dist/docs/index.html (npm run docs) served by the real
// service at GET /docs and rendered by a real headless Chromium, with the network closed.

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const STEP_TIMEOUT_MS = 10_000;

const contract = yaml.load(readFileSync(contractPath, 'utf8')) as OpenAPIV3.Document;
const CALLBACK_PATH = '/payment/billmate/v1/ipncallback';
const callback = contract.paths[CALLBACK_PATH]?.post;
const callbackReceived = contract.components?.responses?.CallbackReceived as OpenAPIV3.ResponseObject | undefined;
const receivedExamples = callbackReceived?.content?.['application/json']?.examples as Record<string, OpenAPIV3.ExampleObject> | undefined;
const requestExamples = (contract.components?.requestBodies?.QvicklyCallback as OpenAPIV3.RequestBodyObject | undefined)?.content[
  'application/json'
]?.examples as Record<string, OpenAPIV3.ExampleObject> | undefined;

function messageOf(example: OpenAPIV3.ExampleObject | undefined): string {
  const message = (example?.value as { Message?: unknown } | undefined)?.Message;
  if (typeof message !== 'string') throw new Error('The contract example has no Message');
  return message;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Waits for the element to be shown (not merely present) and fails the test if it is not. */
async function expectVisible(locator: Locator): Promise<void> {
  await locator.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
  expect(await locator.isVisible()).toBe(true);
}

describe('the API reference at GET /docs in headless Chromium', () => {
  let dir: string;
  let service: ServiceProcess;
  let browser: Browser;
  let page: Page;
  let docsResponse: Response | null;
  const requests: Request[] = [];
  const blockedByPage = new Set<Request>();

  beforeAll(async () => {
    if (!existsSync(docsPath)) throw new Error(`${docsPath} is missing: run npm run docs first`);
    dir = mkdtempSync(path.join(tmpdir(), 'qvickly-ipn-docs-'));
    service = await startServiceProcess({ DATABASE_URL: `sqlite:${path.join(dir, 'store.sqlite')}` });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 20_000 });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    context.on('request', (request) => requests.push(request));
    // A request the page's own Content-Security-Policy blocks never leaves the browser.
    context.on('requestfailed', (request) => {
      if (request.failure()?.errorText === 'csp') blockedByPage.add(request);
    });
    page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    docsResponse = await page.goto(`${service.url}/docs`, { waitUntil: 'load' });
  }, 45_000);

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 20_000);

  it('is served by the service as the built HTML file', async () => {
    expect(docsResponse?.status()).toBe(200);
    expect(docsResponse?.headers()['content-type']).toBe('text/html; charset=utf-8');
    expect(await docsResponse?.text()).toBe(readFileSync(docsPath, 'utf8'));
  });

  it('shows the callback operation with its path and the fields of its request and answer', async () => {
    expect(callback?.operationId).toBe('QvicklyCheckoutIpnCallBack');
    const summary = callback?.summary ?? '';
    expect(summary).toBe('IPN callback for Qvickly checkout 1.0');

    await page.getByRole('link', { name: 'Payments', exact: true }).click();
    // The menu entry reads "<summary> post"; the second operation's summary starts the same.
    await page.getByRole('link', { name: new RegExp(`^${escapeRegExp(summary)}\\s*post$`, 'i') }).click();
    // Redoc names the operation's anchor after its operationId.
    await page.waitForURL(new RegExp(`#/payments/${callback?.operationId?.toLowerCase()}$`));

    const operation = page.locator(`[data-section-id="/payments/${callback?.operationId?.toLowerCase()}"]`);
    // The heading's accessible name also holds its anchor link's label, so match its text.
    await expectVisible(operation.getByRole('heading', { level: 2 }).filter({ hasText: new RegExp(`^${escapeRegExp(summary)}$`) }));
    await expectVisible(operation.getByText(CALLBACK_PATH, { exact: true }).first());
    for (const field of ['CompanyId', 'BookingId', 'ArticleTypeId', 'credentials', 'data', 'Message', 'Success']) {
      await expectVisible(operation.getByText(field, { exact: true }).first());
    }
  });

  it('shows the documented request and answer examples and switches between them', async () => {
    const operation = page.locator(`[data-section-id="/payments/${callback?.operationId?.toLowerCase()}"]`);
    // The right-hand samples: one panel for the request payload, one for the answers, each
    // with its media type picker.
    const panel = (kind: 'Payload' | 'Response'): Locator =>
      operation.getByTestId('right-panel').locator('[data-component-name="Panel/Panel"]', {
        has: page.getByRole('button', { name: `${kind} media type`, exact: true }),
      });

    // The first request example is Qvickly's signed card payment; its hash is shown.
    const paidCard = requestExamples?.paidCard?.value as { credentials: { hash: string } } | undefined;
    expect(paidCard?.credentials.hash).toMatch(/^[0-9a-f]{128}$/);
    await expectVisible(panel('Payload').getByText(paidCard?.credentials.hash ?? '-'));

    const answers = panel('Response');
    await expectVisible(answers.getByText(messageOf(receivedExamples?.applied)));
    expect(messageOf(receivedExamples?.applied)).toBe('Payment 810652 is now Paid');

    await answers.getByRole('button', { name: 'Example' }).click();
    await page.getByRole('menuitem', { name: receivedExamples?.duplicate?.summary ?? '-', exact: true }).click();
    await expectVisible(answers.getByText(messageOf(receivedExamples?.duplicate)));
    expect(await answers.getByText(messageOf(receivedExamples?.applied)).count()).toBe(0);

    await answers.getByRole('button', { name: '401', exact: true }).click();
    await expectVisible(answers.getByText('The callback could not be authenticated'));
  });

  it('loads nothing from another host, so it works offline', () => {
    const origin = new URL(service.url).origin;
    const foreign = requests
      .filter((request) => !blockedByPage.has(request))
      .map((request) => request.url())
      .filter((url) => !url.startsWith('data:') && new URL(url).origin !== origin);
    expect(foreign).toEqual([]);
    expect(requests.length).toBeGreaterThanOrEqual(1);
  });

  it('renders to a non-empty screenshot', async () => {
    const file = path.join(dir, 'docs.png');
    await page.screenshot({ path: file, fullPage: false });
    expect(readFileSync(file).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(statSync(file).size).toBeGreaterThan(20_000);
  });
});
