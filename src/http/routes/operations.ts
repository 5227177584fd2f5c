import type { FastifyInstance } from 'fastify';
import { OPERATIONS_PATHS, type Operations } from '../../observability/operations.js';
import type { ReadinessCheck } from '../../observability/readiness.js';
import type { Platform } from '../../platform/platform.js';

/** `/readyz` part `platform`: a trivial query on the platform database (a device id that never exists). */
export function platformCheck(platform: Platform): ReadinessCheck {
  return { name: 'platform', check: async () => void (await platform.devices.byId(0)) };
}

/**
 * `GET /metrics`, `/healthz`, `/readyz` without bearer auth (`/metrics` has its own optional
 * token). Left out of the OpenAPI document: they are for the operator, not the Platform API.
 */
export function operationsRoutes(app: FastifyInstance, operations: Operations): void {
  for (const path of OPERATIONS_PATHS) {
    app.route({
      method: ['GET', 'HEAD'],
      url: path,
      schema: { hide: true },
      handler: async (request, reply) => {
        const answer = await operations.respond(path, request.headers.authorization);
        return reply.code(answer.status).headers(answer.headers).send(answer.body);
      },
    });
  }
  app.addHook('onClose', async () => operations.close());
}
