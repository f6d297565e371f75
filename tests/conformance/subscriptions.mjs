// Drives /graphql/ws with the graphql-ws npm client (a client library nobody here wrote):
// a producer subscribed to orderEvents sees the buyer's order placed and confirmed, an officer's
// ledgerTally starts from the current totals, and a bad token is closed with 4403.
// Usage: node subscriptions.mjs http://127.0.0.1:PORT/graphql  (a server with the demo world)
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const url = process.argv[2];
if (!url) {
  console.error('usage: node subscriptions.mjs http://127.0.0.1:PORT/graphql');
  process.exit(2);
}
const wsUrl = url.replace(/^http/, 'ws') + '/ws';
const PASSWORD = 'fupin-demo-2026';
let passed = 0;
let failed = 0;

function check(name, ok, detail = '') {
  if (ok) { passed += 1; console.log(`  ok    ${name}`); }
  else { failed += 1; console.log(`  FAIL  ${name} ${detail}`); }
}

async function gql(query, variables = {}, token) {
  const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return response.json();
}

async function login(username) {
  const body = await gql(
    'mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { accessToken errors { code } } }',
    { u: username, p: PASSWORD },
  );
  const token = body.data?.login?.accessToken;
  if (!token) throw new Error(`login ${username}: ${JSON.stringify(body)}`);
  return token;
}

function client(token, onClose) {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => {},
    on: { closed: (event) => onClose?.(event) },
  });
}

/** Subscribes and resolves with the first `count` results (or rejects after `ms`). */
function take(c, query, variables, count, ms = 15000) {
  return new Promise((resolve, reject) => {
    const results = [];
    const timer = setTimeout(() => { dispose(); reject(new Error(`timed out after ${results.length} results`)); }, ms);
    const dispose = c.subscribe({ query, variables }, {
      next: (value) => {
        results.push(value);
        if (results.length === count) { clearTimeout(timer); dispose(); resolve(results); }
      },
      error: (error) => { clearTimeout(timer); reject(error); },
      complete: () => {},
    });
  });
}

const producer = await login('qinglian-clerk');
const buyer = await login('sjz-canteen');
const officer = await login('lingshou-officer');

const found = await gql(
  '{ products(first: 50, filter: {text: "红薯", regionCode: "130126"}) { nodes { id stock minOrderQuantity producer { name } } } }',
);
const product = found.data.products.nodes.find(
  (p) => p.producer.name.includes('青廉') && p.stock >= p.minOrderQuantity,
);
check('a demo product to order', Boolean(product), JSON.stringify(found));

const producerClient = client(producer);
const events = take(producerClient, 'subscription { orderEvents { fromStatus toStatus order { id } } }', {}, 2);
const officerClient = client(officer);
const tally = take(
  officerClient,
  'subscription($code: String!) { ledgerTally(regionCode: $code) { regionCode amount entries } }',
  { code: '130126' },
  1,
);
await new Promise((r) => setTimeout(r, 500));

const placed = await gql(
  'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { orders { id } errors { code message } } }',
  { input: { lines: [{ productId: product.id, quantity: product.minOrderQuantity }], idempotencyKey: `graphql-ws-${Date.now()}` } },
  buyer,
);
const orderId = placed.data?.placeOrder?.orders?.[0]?.id;
check('the buyer places an order over HTTP', Boolean(orderId), JSON.stringify(placed));
const confirmed = await gql(
  'mutation($id: ID!) { confirmOrder(input: {orderId: $id}) { order { status } errors { code } } }',
  { id: orderId },
  producer,
);
check('the producer confirms it', confirmed.data?.confirmOrder?.order?.status === 'CONFIRMED', JSON.stringify(confirmed));

try {
  const got = await events;
  const steps = got.map((r) => `${r.data.orderEvents.fromStatus}->${r.data.orderEvents.toStatus}`);
  check('orderEvents delivers PLACED then CONFIRMED', steps.join(',') === 'null->PLACED,PLACED->CONFIRMED', steps.join(','));
  check('orderEvents names the order', got.every((r) => r.data.orderEvents.order.id === orderId));
} catch (error) {
  check('orderEvents delivers PLACED then CONFIRMED', false, String(error));
}
try {
  const [first] = await tally;
  check('ledgerTally starts from the current totals', first.data.ledgerTally.regionCode === '130126' && /^\d+\.\d\d$/.test(first.data.ledgerTally.amount), JSON.stringify(first));
} catch (error) {
  check('ledgerTally starts from the current totals', false, String(error));
}

const closed = await new Promise((resolve) => {
  const bad = client('not-a-token', (event) => resolve(event.code));
  bad.subscribe({ query: 'subscription { orderEvents { toStatus } }' }, { next() {}, error() {}, complete() {} });
  setTimeout(() => resolve('no close'), 10000);
});
check('a bad token is closed with 4403 Forbidden', closed === 4403, String(closed));

await producerClient.dispose();
await officerClient.dispose();
console.log(`subscriptions: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
