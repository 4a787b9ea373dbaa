// webhook.sender: POSTs payloads to an HTTP endpoint with retries and exponential backoff; deliveries
// that still fail go to an in-memory dead-letter list that can be inspected and retried. Subscribed
// to a topic (workflows.messaging), it delivers every message to its configured `url`.
import { randomUUID } from 'node:crypto';
import type {
  AppContext,
  ConfigMap,
  Logger,
  MessageSubscriber,
  Module,
  ModuleSpec,
  TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, exponentialDelay, sleep } from '../support/index.ts';

export const webhookSenderSchema: TypeSchema = {
  description: 'Sends HTTP webhooks with retry, exponential backoff and a dead-letter list',
  configFields: [
    { key: 'url', type: 'string', description: 'Default target URL (used when subscribed to a topic)' },
    { key: 'method', type: 'string', default: 'POST' },
    { key: 'headers', type: 'map', description: 'Extra request headers' },
    { key: 'maxRetries', type: 'number', default: 3, description: 'Retries after the first attempt' },
    { key: 'initialBackoff', type: 'duration', default: '1s' },
    { key: 'maxBackoff', type: 'duration', default: '60s' },
    { key: 'backoffMultiplier', type: 'number', default: 2 },
    { key: 'timeout', type: 'duration', default: '30s', description: 'Per-attempt request timeout' },
  ],
};

export interface WebhookDelivery {
  id: string;
  url: string;
  payload: string;
  headers: Record<string, string>;
  status: 'pending' | 'delivered' | 'dead_letter';
  attempts: number;
  lastError?: string;
  createdAt: string;
  deliveredAt?: string;
}

export interface WebhookPolicy {
  maxRetries: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  multiplier: number;
}

/** Delay before retry number `attempt` (1-based): initial * multiplier^(attempt-1), capped. */
export function backoffDelay(policy: WebhookPolicy, attempt: number): number {
  return exponentialDelay(policy.initialBackoffMs, policy.multiplier, policy.maxBackoffMs, attempt);
}

export class WebhookSender implements Module, MessageSubscriber {
  readonly type = 'webhook.sender';
  readonly policy: WebhookPolicy;
  private readonly url?: string;
  private readonly method: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly deadLetters = new Map<string, WebhookDelivery>();
  private readonly inFlight = new Set<AbortController>();
  private logger?: Logger;

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    const c = new ConfigReader(config);
    this.url = c.string('url');
    this.method = c.string('method', 'POST')!.toUpperCase();
    const headers = c.map('headers') ?? {};
    this.headers = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]));
    const maxRetries = c.number('maxRetries', 3)!;
    this.policy = {
      maxRetries: maxRetries > 0 ? Math.floor(maxRetries) : 3,
      initialBackoffMs: c.duration('initialBackoff', 1000)!,
      maxBackoffMs: c.duration('maxBackoff', 60_000)!,
      multiplier: c.number('backoffMultiplier', 2)!,
    };
    this.timeoutMs = c.duration('timeout', 30_000)!;
  }

  init(app: AppContext): void {
    this.logger = app.logger.child({ component: 'webhook.sender', module: this.name });
  }

  async handleMessage(topic: string, payload: Buffer): Promise<void> {
    if (!this.url) {
      this.logger?.warn({ topic }, 'message received but no config.url is set; nothing sent');
      return;
    }
    const delivery = await this.send(payload.toString('utf8'));
    if (delivery.status !== 'delivered') throw new Error(`webhook to ${delivery.url} failed: ${delivery.lastError}`);
  }

  /** Deliver one payload; resolves with the delivery record (dead_letter when all attempts failed). */
  async send(
    payload: string | ConfigMap,
    opts: { url?: string; headers?: Record<string, string> } = {},
  ): Promise<WebhookDelivery> {
    const url = opts.url ?? this.url;
    if (!url) throw new Error(`webhook.sender "${this.name}": no url given and config.url is not set`);
    const delivery: WebhookDelivery = {
      id: randomUUID(),
      url,
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
      headers: { ...this.headers, ...(opts.headers ?? {}) },
      status: 'pending',
      attempts: 0,
      createdAt: new Date().toISOString(),
    };
    await this.attempt(delivery);
    return delivery;
  }

  deadLetterList(): WebhookDelivery[] {
    return [...this.deadLetters.values()];
  }

  async retryDeadLetter(id: string): Promise<WebhookDelivery> {
    const delivery = this.deadLetters.get(id);
    if (!delivery) throw new Error(`dead letter "${id}" not found`);
    this.deadLetters.delete(id);
    delivery.status = 'pending';
    delivery.attempts = 0;
    await this.attempt(delivery);
    return delivery;
  }

  stop(): void {
    for (const c of this.inFlight) c.abort();
  }

  private async attempt(delivery: WebhookDelivery): Promise<void> {
    for (let attempt = 0; attempt <= this.policy.maxRetries; attempt++) {
      if (attempt > 0) await sleep(backoffDelay(this.policy, attempt));
      delivery.attempts = attempt + 1;
      const error = await this.post(delivery);
      if (!error) {
        delivery.status = 'delivered';
        delivery.deliveredAt = new Date().toISOString();
        delete delivery.lastError;
        return;
      }
      delivery.lastError = error;
      this.logger?.warn({ url: delivery.url, attempt: delivery.attempts, error }, 'webhook attempt failed');
    }
    delivery.status = 'dead_letter';
    this.deadLetters.set(delivery.id, delivery);
    this.logger?.error(
      { url: delivery.url, id: delivery.id, attempts: delivery.attempts },
      'webhook moved to dead letter',
    );
  }

  /** One attempt; returns an error message, or undefined on a 2xx answer. */
  private async post(delivery: WebhookDelivery): Promise<string | undefined> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      const res = await fetch(delivery.url, {
        method: this.method,
        headers: { 'Content-Type': 'application/json', ...delivery.headers },
        body: delivery.payload,
        signal: controller.signal,
      });
      await res.arrayBuffer();
      return res.ok ? undefined : `webhook returned status ${res.status}`;
    } catch (err) {
      return `request failed: ${(err as Error).message}`;
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
  }
}

export function createWebhookSender(spec: ModuleSpec): WebhookSender {
  return new WebhookSender(spec.name, spec.config);
}
