/** A second oracle: what the server sends must be well-formed MQTT for the connection's version. */
import { parser } from 'mqtt-packet';
import { splitFrames } from '../helpers/frames.js';

/**
 * The version the server speaks, from its CONNACK: 3.1.1 has a Remaining Length of exactly 2, v5
 * adds at least a properties length. (A mutated CONNECT may ask for another version than the case's.)
 */
function connackVersion(frame: Buffer | undefined): 4 | 5 | undefined {
  if (frame === undefined || frame[0] !== 0x20) return undefined;
  return frame[1] === 2 ? 4 : 5;
}

/**
 * The first frame of `received` that mqtt-packet cannot decode, as hex; undefined when every whole
 * frame decodes (a cut-off tail is fine: we may have closed first, or kept only the first 64 KiB).
 */
export function malformedOutput(received: Buffer): string | undefined {
  const { frames } = splitFrames(received);
  const version = connackVersion(frames[0]);
  if (version === undefined) return frames[0]?.toString('hex');
  for (const frame of frames) {
    let ok = false;
    const p = parser({ protocolVersion: version });
    p.on('packet', () => {
      ok = true;
    });
    p.on('error', () => undefined);
    p.parse(frame);
    if (!ok) return frame.toString('hex');
  }
  return undefined;
}
