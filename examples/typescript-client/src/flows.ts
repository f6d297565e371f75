// The main flows of each role against a demo server (`cargo run`), typed end to end:
//   node dist/flows.js [http://127.0.0.1:8080]
// A buyer follows its orders live, searches with PRIORITY and orders; the producer confirms and
// ships; the buyer receives; an officer reads the ledger of the producer's county; the buyer's
// own system hears each step by webhook, signed. Exits 1 on any error or any event that does
// not arrive.
import { FupinClient } from './client.js';
import { Receiver } from './webhooks.js';
import {
  ConfirmOrderDocument,
  CreateWebhookEndpointDocument,
  DeleteWebhookEndpointDocument,
  LedgerByCountyDocument,
  OrderEventsDocument,
  PlaceOrderDocument,
  PriorityCatalogueDocument,
  ReceiveOrderDocument,
  ShipOrderDocument,
  SignInDocument,
  type OrderStatus,
} from './generated/graphql.js';

const PASSWORD = 'fupin-demo-2026';

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function signIn(anonymous: FupinClient, username: string): Promise<FupinClient> {
  const { login } = await anonymous.request(SignInDocument, { username, password: PASSWORD });
  check(login.accessToken, `${username} could not sign in: ${JSON.stringify(login.errors)}`);
  return anonymous.signedIn(login.accessToken);
}

async function main(): Promise<void> {
  const anonymous = new FupinClient(process.argv[2] ?? 'http://127.0.0.1:8080');
  const buyer = await signIn(anonymous, 'sjz-canteen');
  const producer = await signIn(anonymous, 'qinglian-coop');
  const officer = await signIn(anonymous, 'lingshou-officer');

  // The buyer's system hears of its orders by webhook (loopback is allowed outside production).
  const receiver = await Receiver.start();
  const created = await buyer.request(CreateWebhookEndpointDocument, {
    input: { url: receiver.url, eventKinds: ['ORDER_CHANGED'], description: 'typed client flows' },
  });
  const endpoint = created.createWebhookEndpoint.endpoint;
  check(endpoint && created.createWebhookEndpoint.secret, JSON.stringify(created.createWebhookEndpoint.errors));
  receiver.secret = created.createWebhookEndpoint.secret;

  // The buyer follows its orders live.
  const seen: OrderStatus[] = [];
  const socket = buyer.subscriptions();
  let failed: unknown;
  const stop = buyer.subscribe(socket, OrderEventsDocument, {}, (data) => {
    seen.push(data.orderEvents.toStatus);
  }, (e) => { failed = e; });
  await new Promise((resolve) => setTimeout(resolve, 500));

  // Paired and poorer places first for a signed-in buyer.
  const { products } = await buyer.request(PriorityCatalogueDocument, { text: '红薯' });
  const product = products.nodes.find((p) => p.producer?.name.includes('青廉'));
  check(product, `no 青廉 product among ${products.nodes.map((p) => p.name).join(', ')}`);
  console.log(`found ${products.totalCount}: ordering ${product.name} at ${product.price} yuan`);

  const placed = await buyer.request(PlaceOrderDocument, {
    input: {
      lines: [{ productId: product.id, quantity: 3 }],
      idempotencyKey: `typescript-client-${Date.now()}`,
    },
  });
  check(placed.placeOrder.errors.length === 0, JSON.stringify(placed.placeOrder.errors));
  const order = placed.placeOrder.orders[0];
  check(order, 'no order placed');
  const line = order.lines.nodes[0];
  check(line, 'the order has no line');

  const confirmed = await producer.request(ConfirmOrderDocument, { id: order.id });
  check(confirmed.confirmOrder.errors.length === 0, JSON.stringify(confirmed.confirmOrder.errors));
  const shipped = await producer.request(ShipOrderDocument, {
    input: { orderId: order.id, carrier: '顺丰速运', waybillNo: 'SF2026120501' },
  });
  check(shipped.shipOrder.errors.length === 0, JSON.stringify(shipped.shipOrder.errors));
  const received = await buyer.request(ReceiveOrderDocument, {
    input: { orderId: order.id, accepted: [{ lineId: line.id, acceptedQuantity: line.quantity }] },
  });
  check(received.receiveOrder.errors.length === 0, JSON.stringify(received.receiveOrder.errors));
  console.log(`received: ${received.receiveOrder.order?.account.accepted} yuan accepted`);

  // The officer of the producer's county reads its ledger.
  const { ledgerSummary } = await officer.request(LedgerByCountyDocument, { regionCode: '130126' });
  check(ledgerSummary.groups.length > 0, 'an empty ledger for 灵寿县');
  console.log(`ledger of 灵寿县: ${ledgerSummary.total} yuan`);

  // Every step reached the subscriber.
  const deadline = Date.now() + 5000;
  while (seen.length < 4 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  stop();
  await socket.dispose();
  check(!failed, `subscription failed: ${String(failed)}`);
  const expected: OrderStatus[] = ['PLACED', 'CONFIRMED', 'SHIPPED', 'RECEIVED'];
  check(
    expected.every((status) => seen.includes(status)),
    `order events seen: ${seen.join(', ')}`,
  );
  console.log(`order events: ${seen.join(' → ')}`);

  // The same four steps reached the buyer's system, signed, in order.
  const events = (await receiver.waitFor(4)).filter((e) => e.data.orderId === order.id);
  await buyer.request(DeleteWebhookEndpointDocument, { id: endpoint.id });
  await receiver.close();
  const steps = events.map((e) => String(e.data.toStatus));
  check(receiver.refused.length === 0, `deliveries with a bad signature: ${receiver.refused.length}`);
  check(steps.join() === expected.join(), `webhook events: ${steps.join(', ')}`);
  console.log(`webhook events: ${steps.join(' → ')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
