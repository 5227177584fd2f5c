import type { FastifyInstance } from 'fastify';
import { OPERATIONS_PATHS, type Operations } from '../../observability/operations.js';
import type { ReadinessCheck } from '../../observability/readiness.js';
import type { Platform } from '../../platform/platform.js';
import type { HttpThrottle } from '../throttle.js';

/** `/readyz` part `platform`: the platform database answers a trivial query. */
export function platformCheck(platform: Platform): ReadinessCheck {
  return { name: 'platform', check: () => platform.ping() };
}

/**
 * `GET /metrics`, `/healthz`, `/readyz` without bearer auth (`/metrics` has its own optional
 * token). Left out of the OpenAPI document: they are for the operator, not the Platform API.
 */
export function operationsRoutes(app: FastifyInstance, operations: Operations, throttle: HttpThrottle): void {
  for (const path of OPERATIONS_PATHS) {
    app.route({
      method: ['GET', 'HEAD'],
      url: path,
      schema: { hide: true },
      handler: async (request, reply) => {
        // Only `/metrics` may check a token; its 401s count as failed logins (decision 0009).
        const checksToken = path === '/metrics' && operations.metricsTokenRequired;
        if (checksToken) throttle.guard(request);
        const answer = await operations.respond(path, request.headers.authorization);
        if (checksToken && answer.status === 401) throttle.failed(request);
        return reply.code(answer.status).headers(answer.headers).send(answer.body);
      },
    });
  }
  app.addHook('onClose', async () => operations.close());
}
