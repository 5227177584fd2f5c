import { ReasonCode } from '../mqtt/codec/reason-codes.js';
import { ValidationError } from '../platform/errors.js';
import { diagText } from './diag-texts.js';
import { datastreamNamed, OK, refuse, type Uplink, type UplinkDeps } from './uplink-context.js';

/** spec §5.7: the widget property names devices may set. */
export const KNOWN_PROPERTIES: ReadonlySet<string> = new Set([
  'label',
  'color',
  'isDisabled',
  'isHidden',
  'onLabel',
  'offLabel',
  'onColor',
  'offColor',
  'onBackColor',
  'offBackColor',
  'backColor',
  'labels',
  'min',
  'max',
  'step',
  'url',
  'urls',
  'isOnPlay',
  'opacity',
  'scale',
  'rotation',
  'valueFormatting',
  'suffix',
  'maximumFractionDigits',
  'sortType',
  'icons',
  'onImageUrl',
  'offImageUrl',
  'page',
  'sound',
  'isMuted',
  'loop',
  'autoplay',
  'contentDesign',
]);

/** spec §5.7: these take the text `true` / `false` (`1` / `0` accepted and normalised). */
const BOOLEAN_PROPERTIES: ReadonlySet<string> = new Set([
  'isOnPlay',
  'isDisabled',
  'isHidden',
  'isMuted',
  'loop',
  'autoplay',
]);

function booleanText(text: string): string | undefined {
  if (text === 'true' || text === '1') return 'true';
  if (text === 'false' || text === '0') return 'false';
  return undefined;
}

/**
 * `ds/NAME/prop/P` (values NUL-separated) and `ds/NAME/prop/P/erase` (spec §3.2). Properties are
 * UI-side: nothing is sent back to the device (spec §8 #20).
 */
export async function handleProperty(
  deps: UplinkDeps,
  up: Uplink,
  name: string,
  prop: string,
  erase: boolean,
): Promise<ReasonCode> {
  const ds = datastreamNamed(up, name);
  if (ds === undefined)
    return refuse(up.reply, ReasonCode.TopicNameInvalid, diagText.unknownDatastream(name));
  if (!KNOWN_PROPERTIES.has(prop))
    return refuse(up.reply, ReasonCode.TopicNameInvalid, diagText.unknownProperty(prop));
  let values = erase ? [] : up.payload.toString('utf8').split('\0');
  if (!erase && BOOLEAN_PROPERTIES.has(prop)) {
    const flag = values.length === 1 ? booleanText(values[0] as string) : undefined;
    if (flag === undefined)
      return refuse(
        up.reply,
        ReasonCode.PayloadFormatInvalid,
        diagText.badProperty(prop, 'expects true or false'),
      );
    values = [flag];
  }
  try {
    await deps.platform.devices.setProperty(up.target.device.id, ds.id, prop, values);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return refuse(up.reply, ReasonCode.PayloadFormatInvalid, diagText.badProperty(prop, err.message));
  }
  return OK;
}
