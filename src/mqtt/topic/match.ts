const PLUS = 0x2b;
const HASH = 0x23;
const DOLLAR = 0x24;

/**
 * True when a valid topic name matches a valid (non-shared) filter (MQTT 5.0 §4.7). Walks both
 * strings level by level without allocating. `a/#` also matches `a` [MQTT-4.7.1-2]; a filter
 * starting with a wildcard never matches a topic starting with `$` [MQTT-4.7.2-1].
 */
export function topicMatches(filter: string, topic: string): boolean {
  const first = filter.charCodeAt(0);
  if (topic.charCodeAt(0) === DOLLAR && (first === PLUS || first === HASH)) return false;
  let f = 0; // start of the current filter level
  let t = 0; // start of the current topic level; > topic.length once the topic is used up
  for (;;) {
    let fEnd = filter.indexOf('/', f);
    if (fEnd === -1) fEnd = filter.length;
    const wildcard = fEnd - f === 1 ? filter.charCodeAt(f) : 0;
    if (wildcard === HASH) return true; // the rest of the topic, including none of it
    if (t > topic.length) return false; // filter has more levels than the topic
    let tEnd = topic.indexOf('/', t);
    if (tEnd === -1) tEnd = topic.length;
    if (wildcard !== PLUS && !sameLevel(filter, f, fEnd, topic, t, tEnd)) return false;
    if (fEnd === filter.length) return tEnd === topic.length;
    f = fEnd + 1;
    t = tEnd + 1;
  }
}

function sameLevel(filter: string, f: number, fEnd: number, topic: string, t: number, tEnd: number): boolean {
  if (fEnd - f !== tEnd - t) return false;
  for (let i = 0; i < fEnd - f; i++) {
    if (filter.charCodeAt(f + i) !== topic.charCodeAt(t + i)) return false;
  }
  return true;
}
