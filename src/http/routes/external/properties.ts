import type { FastifyInstance } from 'fastify';
import { ReasonCode } from '../../../mqtt/codec/reason-codes.js';
import type { RouteContext } from '../../context.js';
import {
  allOf,
  DeviceApiError,
  DeviceApiText,
  hidden,
  oneOf,
  type RawQuery,
  writeRequestOf,
} from './device-request.js';
import { runUplink } from './device-uplink.js';
import { datastreamAt, requirePinKey } from './pins.js';

interface PropertyWrite {
  readonly name: string;
  readonly values: readonly string[];
}

/** Every parameter but `token` and `pin` is a property; repeated ones are a multi-value (`labels`). */
function propertiesOf(query: RawQuery): PropertyWrite[] {
  const writes: PropertyWrite[] = [];
  for (const name of Object.keys(query)) {
    if (name === 'token' || name === 'pin') continue;
    writes.push({ name, values: allOf(query, name) });
  }
  if (writes.length === 0) throw new DeviceApiError(DeviceApiText.incorrectParameters);
  return writes;
}

/** An unknown property name is the request's fault; a bad value does not match the datastream. */
const FAILURES = {
  [ReasonCode.TopicNameInvalid]: DeviceApiText.incorrectParameters,
  [ReasonCode.PayloadFormatInvalid]: DeviceApiText.valueMismatchNoDot,
};

/**
 * `GET /external/api/update/property?token=…&pin=v1&{property}={value}` (spec §6.2 row 7): a
 * widget property of the datastream on that pin (spec §5.7), set exactly as `ds/NAME/prop/P`
 * would (known names, `true`/`false` flags, limits); UI-side only, nothing is sent to the device
 * (spec §8 #20). 200, empty body.
 */
export function propertyRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/external/api/update/property', hidden, async (request, reply) => {
    const { query, target } = await writeRequestOf(ctx, request);
    const ds = datastreamAt(target.template, requirePinKey(oneOf(query, 'pin')));
    if (ds === undefined) throw new DeviceApiError(DeviceApiText.noDatastreamForPin);
    for (const { name, values } of propertiesOf(query)) {
      await runUplink(ctx, target, `ds/${ds.name}/prop/${name}`, values.join('\0'), FAILURES);
    }
    return reply.send();
  });
}
