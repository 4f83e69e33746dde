import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import type { DataSource } from 'typeorm';
import { Clock } from '../common/clock/clock.js';
import { SecretBox } from '../common/security/secret-box.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature.js';

const TIMEOUT_MS = 10_000;

/** A failed delivery: `responseStatus` when the receiver answered, `final` when retrying is pointless. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly responseStatus: number | null = null,
    readonly final = false,
  ) {
    super(message);
  }
}

/**
 * Delivers webhook events: a POST of the event as JSON, signed (see `webhook-signature.ts`), to the
 * webhook's URL; a 2xx answer within 10 s is a delivery, anything else (redirects included) a
 * failure the outbox retries. Unless `WEBHOOK_ALLOW_PRIVATE_NETWORKS` is set, the address the
 * connection goes to must be public: checked on the resolved address of every connection, so a
 * DNS answer that changes after the URL was accepted cannot reach the service's own network.
 */
@Injectable()
export class WebhookSender {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly secrets: SecretBox,
  ) {}

  /** Sends one delivery; returns the 2xx status, or throws a `DeliveryError`. */
  async send(deliveryId: string, webhookId: string, event: Record<string, unknown>): Promise<number> {
    const [webhook] = await this.dataSource.query<{ url: string; secret_sealed: string; active: boolean }[]>(
      `SELECT url, secret_sealed, active FROM webhooks WHERE id = $1`,
      [webhookId],
    );
    if (!webhook?.active) throw new DeliveryError('The webhook was disabled', null, true);
    const body = JSON.stringify(event);
    const status = await post(
      new URL(webhook.url),
      body,
      {
        'content-type': 'application/json',
        'user-agent': 'accounts-service-webhooks',
        'webhook-id': deliveryId,
        'webhook-event': String(event.type),
        [SIGNATURE_HEADER]: signWebhook(this.secrets.open(webhook.secret_sealed), this.clock.nowSeconds(), body),
      },
      this.config.webhooks.allowPrivateNetworks,
    );
    if (status < 200 || status > 299) throw new DeliveryError(`The receiver answered HTTP ${status}`, status);
    return status;
  }
}

function post(url: URL, body: string, headers: Record<string, string>, allowPrivate: boolean): Promise<number> {
  if (!allowPrivate && isIP(bare(url.hostname)) && !isPublicAddress(bare(url.hostname))) {
    return Promise.reject(new DeliveryError(`${url.hostname} is not a public address`));
  }
  const options: RequestOptions = {
    method: 'POST',
    headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    timeout: TIMEOUT_MS,
    lookup: allowPrivate ? undefined : publicOnlyLookup,
  };
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (response) => {
      response.resume(); // the answer's body is not kept
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', (error) => reject(new DeliveryError(error.message, response.statusCode ?? null)));
    });
    request.on('timeout', () => request.destroy(new Error(`No answer within ${TIMEOUT_MS / 1000} s`)));
    request.on('error', (error) => reject(error instanceof DeliveryError ? error : new DeliveryError(error.message)));
    request.end(body);
  });
}

/** `dns.lookup`, failing when a resolved address is not public. */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 4);
    const refused = addresses.find((entry) => !isPublicAddress(entry.address));
    if (refused) return callback(new DeliveryError(`${hostname} resolves to ${refused.address}, which is not a public address`), '', 4);
    if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
};

const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/** Whether an address is on the public internet: not loopback, private, link-local, CGNAT or multicast. */
export function isPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = mapped ?? address;
  const version = isIP(ip);
  return version !== 0 && !NON_PUBLIC.check(ip, version === 4 ? 'ipv4' : 'ipv6');
}

/** `[::1]` as URL hostnames write IPv6 addresses, without the brackets. */
function bare(hostname: string): string {
  return hostname.replace(/^\[(.*)\]$/, '$1');
}
