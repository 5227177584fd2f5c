import type { ReplyChannel, UplinkTarget } from '../../../device-api/types.js';
import { ReasonCode } from '../../../mqtt/codec/reason-codes.js';
import type { RouteContext } from '../../context.js';
import { DeviceApiError, markSeen, runtimeOf } from './device-request.js';

/** The diag texts of one uplink; nothing goes back to a device connection from an HTTP request. */
class CollectedReply implements ReplyChannel {
  readonly diags: string[] = [];

  send(): void {
    // `get/…` answers only: the HTTP routes never send those topics.
  }

  diag(text: string): void {
    this.diags.push(text);
  }
}

/** The HTTP error for each failure code an uplink may answer; others fall back to the diag text. */
export type FailureTexts = Partial<Record<ReasonCode, string>>;

/**
 * Runs a Device API uplink (`event/CODE`, `meta/NAME`, `ds/NAME/prop/P`, `info/mcu`) for an HTTP
 * request, through the same UplinkService as MQTT and gateways: the same checks and limits, the
 * same platform writes (spec §6.2 "one code path"). The request must come from
 * `authenticateWrite`, which took it from the device's rate already. A refusal becomes the
 * endpoint's documented error text, else the diag text (e.g. the event limits: 400). Success
 * marks the device seen.
 */
export async function runUplink(
  ctx: RouteContext,
  target: UplinkTarget,
  topic: string,
  payload: string,
  texts: FailureTexts,
): Promise<void> {
  const reply = new CollectedReply();
  const code = await runtimeOf(ctx).uplinks.handle(target, topic, Buffer.from(payload, 'utf8'), reply, {
    rateTaken: true,
  });
  if (code === ReasonCode.Success) {
    markSeen(ctx, target.device.id);
    return;
  }
  const text = texts[code] ?? reply.diags[0];
  if (text === undefined) throw new DeviceApiError('Internal server error.', 500);
  throw new DeviceApiError(text);
}
