import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Device, Template } from '../../../platform/model.js';
import type { RouteContext } from '../../context.js';
import { authenticate, DeviceApiError, DeviceApiText, hidden, oneOf, queryOf } from './device-request.js';
import { csvOf, jsonRow, reportMeta } from './report-format.js';
import { REPORT_LINK_TTL_MS, ReportLinks } from './report-links.js';
import { type ReportQuery, reportParams, reportQueryOf } from './report-query.js';
import { reportRows } from './report-rows.js';

const FILE_PATH = '/external/api/data/file';

/** Rows of a report; spec §6.2 row 9: a report without any row is the 500 `No data`. */
async function rowsOf(ctx: RouteContext, device: Device, query: ReportQuery) {
  const result = await reportRows(ctx, device, query, ctx.clock.now());
  if (result.rows.length === 0) throw new DeviceApiError(DeviceApiText.noData, 500);
  return result;
}

/** `device_data_7_2026-07-21T10-00-00.csv` */
function fileName(deviceId: number, now: number): string {
  const stamp = new Date(now).toISOString().slice(0, 19).replaceAll(':', '-');
  return `device_data_${deviceId}_${stamp}.csv`;
}

/** Base URL of this request as the client reached it (scheme from the socket, host from the header). */
function baseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host ?? request.hostname}`;
}

/**
 * `GET /external/api/data/get` (spec §6.2 row 9): the device's stored history over a period, raw
 * or aggregated per minute/hour/day in a time zone. `output=JSON` answers the rows; `output=FILE`
 * (the default) answers `{"link": …}` to a CSV built when fetched.
 */
function reportRoute(app: FastifyInstance, ctx: RouteContext, links: ReportLinks): void {
  app.get('/external/api/data/get', hidden, async (request, reply) => {
    const raw = queryOf(request);
    const { device, template } = await authenticate(ctx, request);
    const query = reportQueryOf(template, raw);
    if (query.output === 'FILE') {
      await rowsOf(ctx, device, query);
      const now = ctx.clock.now();
      const key = links.sign({
        deviceId: device.id,
        params: reportParams(query),
        expires: now + REPORT_LINK_TTL_MS,
      });
      const link = `${baseUrl(request)}${FILE_PATH}/${fileName(device.id, now)}?key=${key}`;
      return reply.send({ link });
    }
    const { rows, before } = await rowsOf(ctx, device, query);
    return reply.send({
      meta: reportMeta(query),
      data: rows.map((row) => jsonRow(row, query)),
      rows: rows.length,
      rows_before_limit_at_least: before,
    });
  });
}

/** The device and template of a download link; an invalid or expired one is 404. */
async function linkTarget(
  ctx: RouteContext,
  links: ReportLinks,
  key: string | undefined,
): Promise<{ device: Device; template: Template; params: Readonly<Record<string, string>> }> {
  const link = key === undefined ? undefined : links.verify(key, ctx.clock.now());
  const device = link === undefined ? undefined : await ctx.platform.devices.byId(link.deviceId);
  const template = device === undefined ? undefined : ctx.platform.templates.byId(device.templateId);
  if (link === undefined || device === undefined || template === undefined) {
    throw new DeviceApiError('Report link is invalid or has expired.', 404);
  }
  return { device, template, params: link.params };
}

/** `GET /external/api/data/file/{name}.csv?key=…`: the report a `{"link"}` points to. */
function fileRoute(app: FastifyInstance, ctx: RouteContext, links: ReportLinks): void {
  app.get(`${FILE_PATH}/:name`, hidden, async (request, reply) => {
    const { device, template, params } = await linkTarget(ctx, links, oneOf(queryOf(request), 'key'));
    const query = reportQueryOf(template, params);
    const { rows } = await rowsOf(ctx, device, query);
    return reply
      .type('text/csv; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="${fileName(device.id, ctx.clock.now())}"`)
      .send(csvOf(rows, query));
  });
}

/** Device history reports (spec §6.2 row 9). */
export function reportRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const links = new ReportLinks();
  reportRoute(app, ctx, links);
  fileRoute(app, ctx, links);
}
