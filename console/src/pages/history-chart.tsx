import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { get, qs } from '../api.js';
import { ErrorText, useLoad } from '../components.js';
import type { DataStream, DataStreamValue, Page, Value } from '../types.js';

const HOUR = 3_600_000;
const RANGES: Array<[string, number]> = [
  ['1 h', HOUR],
  ['6 h', 6 * HOUR],
  ['1 d', 24 * HOUR],
  ['1 w', 7 * 24 * HOUR],
];
/** History pages of 1000, at most 10: a chart never holds more than 10 000 points. */
const PAGE_SIZE = 1000;
const MAX_PAGES = 10;
/** Live points added to a loaded chart at most; past that the oldest added ones go. */
const MAX_LIVE_POINTS = 2000;

interface Point {
  createdAt: number;
  value: Value;
}

export function isChartable(ds: DataStream): boolean {
  return ds.type === 'Integer' || ds.type === 'Double' || ds.type === 'Boolean' || ds.type === 'Enum';
}

function numeric(value: Value): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** Oldest first, as uPlot wants it (the API answers newest first). */
async function loadHistory(
  deviceId: number,
  dataStreamId: number,
  from: number,
  to: number,
): Promise<uPlot.AlignedData> {
  const points: Point[] = [];
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = qs({ deviceId, dataStreamId, from, to, page, size: PAGE_SIZE });
    const answer = await get<Page<Point>>(`/api/v1/organization/device/datastream/history${query}`);
    points.push(...answer.content);
    if (answer.content.length < PAGE_SIZE || points.length >= answer.totalElements) break;
  }
  points.reverse();
  return [points.map((p) => p.createdAt / 1000), points.map((p) => numeric(p.value))];
}

/**
 * The loaded history plus the live points that came after its newest one (an older point, such as
 * an import, is history the next load shows), trimmed to the relative range's window.
 */
function withLive(
  data: uPlot.AlignedData,
  live: ReadonlyArray<readonly [number, number | null]>,
  span: number | undefined,
): uPlot.AlignedData {
  if (live.length === 0) return data;
  const times = [...(data[0] as number[])];
  const values = [...(data[1] as Array<number | null>)];
  for (const [t, v] of live) {
    if (times.length > 0 && t < (times[times.length - 1] as number)) continue;
    times.push(t);
    values.push(v);
  }
  if (span === undefined) return [times, values];
  const oldest = (times[times.length - 1] as number) - span / 1000;
  const first = times.findIndex((t) => t >= oldest);
  return [times.slice(first), values.slice(first)];
}

function toInputTime(ms: number): string {
  const local = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

type Range = { kind: 'relative'; span: number } | { kind: 'custom'; from: number; to: number };

function bounds(range: Range, now: number): { from: number; to: number } {
  return range.kind === 'relative' ? { from: now - range.span, to: now } : range;
}

export function HistoryChart(props: {
  deviceId: number;
  datastreams: DataStream[];
  refreshKey: number;
  /** The newest value from the live stream: a chart of a relative range grows with it. */
  live?: DataStreamValue;
}) {
  const chartable = props.datastreams.filter(isChartable);
  const [dsId, setDsId] = useState<number | undefined>(chartable[0]?.id);
  const [range, setRange] = useState<Range>({ kind: 'relative', span: HOUR });
  const [customFrom, setCustomFrom] = useState(toInputTime(Date.now() - 24 * HOUR));
  const [customTo, setCustomTo] = useState(toInputTime(Date.now()));
  const ds = chartable.find((d) => d.id === dsId) ?? chartable[0];
  const history = useLoad(async () => {
    if (ds?.id === undefined) return undefined;
    const { from, to } = bounds(range, Date.now());
    return loadHistory(props.deviceId, ds.id, from, to);
  }, [props.deviceId, ds?.id, range, props.refreshKey]);
  const [livePoints, setLivePoints] = useState<Array<readonly [number, number | null]>>([]);
  useEffect(() => setLivePoints([]), [history.data]);
  useEffect(() => {
    const v = props.live;
    if (v === undefined || v.updatedAt === null || v.dataStreamId !== ds?.id || range.kind !== 'relative')
      return;
    const point = [v.updatedAt / 1000, numeric(v.value)] as const;
    setLivePoints((old) => [...old, point].slice(-MAX_LIVE_POINTS));
  }, [props.live]);
  const span = range.kind === 'relative' ? range.span : undefined;
  const shown = useMemo(
    () => (history.data === undefined ? undefined : withLive(history.data, livePoints, span)),
    [history.data, livePoints, span],
  );
  if (chartable.length === 0) return <p>No numeric datastreams to chart.</p>;
  return (
    <div class="history">
      <div class="toolbar">
        <label>
          Datastream
          <select value={String(ds?.id ?? '')} onChange={(e) => setDsId(Number(e.currentTarget.value))}>
            {chartable.map((d) => (
              <option key={d.id} value={String(d.id)}>
                {d.name}
              </option>
            ))}
          </select>
        </label>
        <fieldset class="ranges">
          <legend>Range</legend>
          {RANGES.map(([label, span]) => (
            <button
              key={label}
              type="button"
              aria-pressed={range.kind === 'relative' && range.span === span}
              onClick={() => setRange({ kind: 'relative', span })}
            >
              {label}
            </button>
          ))}
        </fieldset>
        <form
          class="custom-range"
          onSubmit={(e) => {
            e.preventDefault();
            const from = new Date(customFrom).getTime();
            const to = new Date(customTo).getTime();
            if (Number.isFinite(from) && Number.isFinite(to) && from < to)
              setRange({ kind: 'custom', from, to });
          }}
        >
          <label>
            From
            <input
              type="datetime-local"
              value={customFrom}
              onInput={(e) => setCustomFrom(e.currentTarget.value)}
            />
          </label>
          <label>
            To
            <input
              type="datetime-local"
              value={customTo}
              onInput={(e) => setCustomTo(e.currentTarget.value)}
            />
          </label>
          <button type="submit" aria-pressed={range.kind === 'custom'}>
            Custom
          </button>
        </form>
      </div>
      <ErrorText error={history.error} />
      {shown !== undefined && <Plot data={shown} label={ds?.name ?? ''} units={ds?.units} />}
    </div>
  );
}

function Plot(props: { data: uPlot.AlignedData; label: string; units: string | undefined }) {
  const host = useRef<HTMLDivElement>(null);
  const points = props.data[0].length;
  useEffect(() => {
    const element = host.current;
    if (element === null) return;
    const width = () => Math.max(280, element.clientWidth);
    const series = props.units ? `${props.label} (${props.units})` : props.label;
    const plot = new uPlot(
      {
        width: width(),
        height: 260,
        series: [{}, { label: series, stroke: '#2563eb', width: 2, points: { show: points < 200 } }],
        axes: [{}, {}],
      },
      props.data,
      element,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: 260 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [props.data, props.label, props.units, points]);
  return (
    <div
      class="chart"
      ref={host}
      data-points={points}
      aria-label={`History of ${props.label}: ${points} points`}
      role="img"
    >
      {points === 0 && <p class="empty">No values in this range.</p>}
    </div>
  );
}
