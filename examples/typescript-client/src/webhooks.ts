// A webhook receiver as an organisation's own system would run it: it checks each delivery's
// `Fupin-Signature` (HMAC-SHA256 of "<t>.<raw body>" under the endpoint's secret, `t` at most
// five minutes old), answers 204, and keeps each event once by its ID (deliveries can repeat).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WebhookEvent {
  id: string;
  kind: string;
  createdAt: string;
  data: Record<string, unknown>;
}

export function verified(secret: string, header: string, rawBody: string, now = Date.now()): boolean {
  const fields = Object.fromEntries(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const t = Number(fields.t);
  if (!Number.isFinite(t) || Math.abs(now / 1000 - t) > 300 || !fields.v1) return false;
  const expected = createHmac('sha256', secret).update(`${fields.t}.${rawBody}`).digest('hex');
  return expected.length === fields.v1.length && timingSafeEqual(Buffer.from(expected), Buffer.from(fields.v1));
}

export class Receiver {
  readonly events: WebhookEvent[] = [];
  readonly refused: string[] = [];
  secret = '';
  private readonly seen = new Set<string>();

  private constructor(private readonly server: Server, readonly url: string) {}

  /** Listens on 127.0.0.1 at a free port. */
  static async start(): Promise<Receiver> {
    let receiver: Receiver | undefined;
    const server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => { body += chunk; });
      request.on('end', () => receiver?.take(request.headers['fupin-signature'], body, response));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    receiver = new Receiver(server, `http://127.0.0.1:${port}/fupin-hooks`);
    return receiver;
  }

  private take(signature: string | string[] | undefined, body: string, response: import('node:http').ServerResponse): void {
    if (typeof signature !== 'string' || !verified(this.secret, signature, body)) {
      this.refused.push(body);
      response.writeHead(401).end();
      return;
    }
    const event = JSON.parse(body) as WebhookEvent;
    if (!this.seen.has(event.id)) {
      this.seen.add(event.id);
      this.events.push(event);
    }
    response.writeHead(204).end();
  }

  /** Waits until `count` events came, or `ms` passed. */
  async waitFor(count: number, ms = 10_000): Promise<WebhookEvent[]> {
    const deadline = Date.now() + ms;
    while (this.events.length < count && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return this.events;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
