/** A second oracle: what the server sends must be well-formed MQTT for the connection's version. */
import { parser } from 'mqtt-packet';
import { splitFrames } from '../helpers/frames.js';
import type { Version } from './corpus.js';

/**
 * The first frame of `received` that mqtt-packet cannot decode, as hex; undefined when every whole
 * frame decodes (a cut-off tail is fine: we may have closed first, or kept only the first 64 KiB).
 */
export function malformedOutput(received: Buffer, version: Version): string | undefined {
  const { frames } = splitFrames(received);
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
