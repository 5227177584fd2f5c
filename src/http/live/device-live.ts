import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { DeviceChange } from '../../platform/devices/device-feed.js';
import type { Device, Template } from '../../platform/model.js';
import type { Caller } from '../../platform/services.js';
import type { RouteContext } from '../context.js';
import { dataStreamValues, pinKey } from '../routes/device-views.js';
import type { LiveStreamHandle, LiveStreams } from './live-streams.js';
import { type SseEndReason, SseStream } from './sse-stream.js';

/**
 * One console live stream of one device (GET /api/v1/organization/device/live): subscribes to
 * the platform's device feed first, then sends the snapshot (current values and presence) ahead
 * of every change that arrived meanwhile, then `value`, `online` and `event` messages as the
 * device service accepts them, and `: ping` on the registry's tick.
 */
export class DeviceLiveStream implements LiveStreamHandle {
  readonly #ctx: RouteContext;
  readonly #caller: Caller;
  readonly #device: Device;
  readonly #logger: FastifyBaseLogger;
  /** The request's credential check: a stream ends when its token or session does. */
  readonly #credentialValid: () => Promise<boolean>;
  #stream: SseStream | undefined;
  #unsubscribe: (() => void) | undefined;
  #release: (() => void) | undefined;
  #streams: LiveStreams | undefined;
  /** The template the pin names were read from (a template change replaces the object). */
  #template: Template | undefined;
  #pins = new Map<number, string>();

  constructor(
    ctx: RouteContext,
    caller: Caller,
    device: Device,
    logger: FastifyBaseLogger,
    credentialValid: () => Promise<boolean>,
  ) {
    this.#ctx = ctx;
    this.#caller = caller;
    this.#credentialValid = credentialValid;
    this.#device = device;
    this.#logger = logger;
  }

  /** Starts streaming on `res` (the request is hijacked); `release` gives the registry's place back. */
  start(res: ServerResponse, streams: LiveStreams, release: () => void): void {
    this.#streams = streams;
    this.#release = release;
    const stream = new SseStream(res, streams.limits.maxBufferedBytes, (reason) => this.#ended(reason));
    this.#stream = stream;
    // Subscribed before the snapshot is read: a change meanwhile is queued behind it, never lost.
    const feed = this.#ctx.platform.feed;
    this.#unsubscribe = feed.subscribe(this.#device.id, (change) => this.#changed(change));
    // In a cluster, the other nodes are told first, so their changes after the snapshot come too.
    feed
      .ready(this.#device.id)
      .then(() => this.#snapshot())
      .then(
        (first) => stream.open(first),
        (err: unknown) => {
          this.#logger.warn({ err, deviceId: this.#device.id }, 'live stream snapshot failed');
          stream.close('gone');
        },
      );
  }

  ping(): void {
    const stream = this.#stream;
    if (stream === undefined || !stream.comment('ping')) return;
    // The device may have been deleted or moved out of the caller's scope since the stream opened,
    // and the token revoked or the session ended.
    this.#stillVisible().then(
      (visible) => {
        if (!visible) stream.close('gone');
      },
      () => undefined,
    );
  }

  close(reason: SseEndReason): void {
    this.#stream?.close(reason);
  }

  async #snapshot(): Promise<string> {
    const values = (await dataStreamValues(this.#ctx, this.#device)).map((v) => ({
      dataStreamId: v.dataStreamId,
      pin: v.pin,
      value: v.value,
      updatedAt: v.updatedAt,
    }));
    const connected = this.#ctx.presence?.isOnline(this.#device.id) ?? false;
    return `event: snapshot\ndata: ${JSON.stringify({ connected, values })}\n\n`;
  }

  #changed(change: DeviceChange): void {
    const stream = this.#stream;
    if (stream === undefined) return;
    switch (change.kind) {
      case 'value': {
        const { dataStreamId, value, ts } = change;
        const pin = this.#pinOf(dataStreamId);
        stream.send('value', JSON.stringify({ dataStreamId, pin, value, updatedAt: ts }));
        return;
      }
      case 'online':
        stream.send('online', JSON.stringify({ connected: change.connected, at: change.at }));
        return;
      case 'event': {
        const { record, type } = change;
        const data = {
          id: record.id,
          eventCode: record.code,
          ...(type === undefined ? {} : { eventType: type }),
          ...(record.description === '' ? {} : { description: record.description }),
          ts: record.ts,
        };
        stream.send('event', JSON.stringify(data));
        return;
      }
    }
  }

  /** `v{pin}` of a datastream of the device's template; null when the template no longer has it. */
  #pinOf(dataStreamId: number): string | null {
    const template = this.#ctx.platform.templates.byId(this.#device.templateId);
    if (template !== this.#template) {
      this.#template = template;
      this.#pins = new Map((template?.datastreams ?? []).map((d) => [d.id, pinKey(d.pin)]));
    }
    return this.#pins.get(dataStreamId) ?? null;
  }

  async #stillVisible(): Promise<boolean> {
    if (!(await this.#credentialValid())) return false;
    const devices = this.#ctx.platform.devices;
    const device = devices.peekById(this.#device.id) ?? (await devices.byId(this.#device.id));
    return device !== undefined && this.#ctx.platform.orgs.isInScope(this.#caller.orgId, device.orgId);
  }

  #ended(reason: SseEndReason): void {
    this.#unsubscribe?.();
    this.#release?.();
    if (reason === 'overflow' && this.#streams !== undefined) this.#streams.overflowed++;
    this.#logger.debug({ deviceId: this.#device.id, reason }, 'live stream ended');
  }
}
