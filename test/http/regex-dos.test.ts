import { aCallback, aMerchant, type Merchant } from '../support/callbacks';
import { quantile, rawRequest, requestBytes, type RawExchange } from '../support/raw-http';
import { describeStore, engine } from '../support/stores';
import { useServiceOnFreshStore } from '../support/suite';

/**
 * Issue 9: request targets built to make a backtracking regular expression work quadratically.
 * Before the restructure, `/\/+$/` on the path took 460 ms for 15,000 slashes and a letter, and
 * the JSON writer's `/(\\+)u…/` 3.4 s for 20,000 backslashes; one such request stalled every
 * other callback for that long. Each must now be answered (or refused by Node's parser) as fast
 * as any 404, while a genuine callback sent at the same time is answered as fast as ever.
 */

const ROUTE = '/payment/billmate/v1/ipncallback';
// Node's parser refuses a request line and headers over 16 KiB with 431: 15,000 characters reach
// our code, 64 KiB only Node's.
const REACHES_US = 15_000;
const REFUSED_BY_NODE = 64 * 1024;
const REPEATS = 5;
const ROUNDS = 3;
const HOSTILE_BOUND_MS = 50;
const GENUINE_BOUND_MS = 100;
// What the router knows (the contract's methods), and one it does not that Node's parser accepts.
const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE', 'PROPFIND'];

/** A request target of about `length` characters; `route` says whether it still names the callback route. */
interface Shape {
  name: string;
  target: (length: number) => string;
  route: boolean;
}

const repeatTo = (unit: string, length: number): string => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);

const SHAPES: Shape[] = [
  { name: 'slashes then a letter', target: (n) => `/${repeatTo('/', n)}x`, route: false },
  { name: 'backslashes', target: (n) => `/${repeatTo('\\', n)}`, route: false },
  { name: '%2F', target: (n) => `/${repeatTo('%2F', n)}`, route: false },
  { name: '\\u sequences', target: (n) => `/${repeatTo('\\u', n)}`, route: false },
  { name: 'the callback route, slashes and a suffix', target: (n) => `${ROUTE}${repeatTo('/', n)}.x`, route: false },
  { name: 'the callback route and trailing slashes', target: (n) => `${ROUTE}${repeatTo('/', n)}`, route: true },
  { name: 'a query of backslashes in CompanyId', target: (n) => `${ROUTE}?CompanyId=${repeatTo('\\', n)}`, route: true },
  { name: 'a query of \\u sequences in format', target: (n) => `${ROUTE}?format=${repeatTo('\\u', n)}`, route: true },
  { name: 'a query of %2F and \\u in data', target: (n) => `${ROUTE}?data=${repeatTo('%2F\\u005c', n)}`, route: true },
  { name: 'a query of slashes in BookingId', target: (n) => `${ROUTE}?BookingId=${repeatTo('/', n)}x`, route: true },
];

/** The status a target reaching our code gets: no route is 404, another method 405, a POST without fields 400. */
function expectedStatus(shape: Shape, method: string): number {
  if (!shape.route) return 404;
  return method === 'POST' ? 400 : 405;
}

describeStore('request targets built for regular-expression backtracking', () => {
  const context = useServiceOnFreshStore();
  let merchant: Merchant;
  let port: number;
  let serial = 0;
  beforeAll(async () => {
    merchant = await aMerchant(context.store);
    port = Number(new URL(context.service.url).port);
    await genuineCallback(); // warm up fetch and the route
  });

  /** A new signed callback, timed from the first byte to the whole answer. */
  async function genuineCallback(): Promise<number> {
    const number = `genuine-${serial++}`;
    const callback = aCallback({ merchant, number });
    const started = process.hrtime.bigint();
    const response = await fetch(`${context.service.url}${callback.path}`, callback.init);
    const text = await response.text();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect([response.status, text]).toEqual([200, `{"Message":"Payment ${number} is now Paid","Success":true}`]);
    return ms;
  }

  /**
   * Each hostile request at the same moment as a genuine callback, REPEATS times per method and
   * shape, each case judged by its medians. A case over a bound is measured again, up to ROUNDS
   * times in all: a stall of the whole machine (a slow fsync blocks the event loop, and it shows
   * on the genuine callback beside it just as much) passes in another round; a quadratic path
   * (460 ms and more for every sample before issue 9) fails every round.
   */
  async function measure(length: number, check: (shape: Shape, method: string, exchange: RawExchange) => void) {
    const cases: Array<{ label: string; rounds: Array<{ hostile: number[]; genuine: number[] }> }> = [];
    for (const shape of SHAPES) {
      for (const method of METHODS) {
        const entry = { label: `${method} ${shape.name}`, rounds: [] as Array<{ hostile: number[]; genuine: number[] }> };
        for (let round = 0; round < ROUNDS; round++) {
          const samples = { hostile: [] as number[], genuine: [] as number[] };
          for (let repeat = 0; repeat < REPEATS; repeat++) {
            const [exchange, genuineMs] = await Promise.all([rawRequest(port, requestBytes(method, shape.target(length))), genuineCallback()]);
            check(shape, method, exchange);
            samples.hostile.push(exchange.ms);
            samples.genuine.push(genuineMs);
          }
          entry.rounds.push(samples);
          if (withinBounds(samples)) break;
        }
        cases.push(entry);
      }
    }
    return cases;
  }

  const withinBounds = (samples: { hostile: number[]; genuine: number[] }) =>
    quantile(samples.hostile, 0.5) <= HOSTILE_BOUND_MS && quantile(samples.genuine, 0.5) <= GENUINE_BOUND_MS;

  function expectFast(length: number, cases: Awaited<ReturnType<typeof measure>>): void {
    const hostile = cases.flatMap((entry) => entry.rounds.flatMap((round) => round.hostile));
    const genuine = cases.flatMap((entry) => entry.rounds.flatMap((round) => round.genuine));
    console.log(
      `[${engine}] ${length}-character targets, ${hostile.length} requests: hostile median ${quantile(hostile, 0.5).toFixed(1)} ms, ` +
        `p95 ${quantile(hostile, 0.95).toFixed(1)} ms, max ${Math.max(...hostile).toFixed(1)} ms; genuine callbacks at the same time: ` +
        `median ${quantile(genuine, 0.5).toFixed(1)} ms, p95 ${quantile(genuine, 0.95).toFixed(1)} ms; ` +
        `${cases.filter((entry) => entry.rounds.length > 1).length} of ${cases.length} cases measured again`,
    );
    const shown = (samples: number[]) => samples.map((ms) => ms.toFixed(1)).join(', ');
    const slow = cases
      .filter((entry) => !entry.rounds.some(withinBounds))
      .map((entry) => `${entry.label}: ${entry.rounds.map((round) => `[${shown(round.hostile)}] beside genuine [${shown(round.genuine)}]`).join(' ')} ms`);
    expect(slow).toEqual([]);
  }

  it(`answers ${REACHES_US}-character targets on every method within ${HOSTILE_BOUND_MS} ms, echoing at most 200 characters of the path`, async () => {
    const results = await measure(REACHES_US, (shape, method, exchange) => {
      const label = `${method} ${shape.name}`;
      expect([label, exchange.status]).toEqual([label, expectedStatus(shape, method)]);
      if (method === 'HEAD') return;
      expect([label, exchange.headers['content-type']]).toEqual([label, 'application/json; charset=utf-8']);
      const message: string = JSON.parse(exchange.body).ResponseStatus.Message;
      if (exchange.status === 404) {
        const echoedPath = message.slice(`No route matches ${method} `.length);
        expect([label, message.startsWith(`No route matches ${method} /`), echoedPath.length]).toEqual([label, true, 201]);
        expect(echoedPath.endsWith('…')).toBe(true);
      }
      if (exchange.status === 405) expect([label, message, exchange.headers.allow]).toEqual([label, `${method} is not allowed here; use POST`, 'POST']);
      expect([label, Buffer.byteLength(exchange.body) < 1000]).toEqual([label, true]);
    });
    expectFast(REACHES_US, results);
  });

  it(`refuses ${REFUSED_BY_NODE}-byte targets (Node's 431) on every method within ${HOSTILE_BOUND_MS} ms`, async () => {
    const results = await measure(REFUSED_BY_NODE, (shape, method, exchange) => {
      // Node answers 431 and closes; having stopped reading, the close may reach the client as a reset first.
      const label = `${method} ${shape.name}`;
      expect([label, exchange.status ?? 'reset']).toEqual([label, exchange.reset && exchange.status === undefined ? 'reset' : 431]);
    });
    expectFast(REFUSED_BY_NODE, results);
  });
});
