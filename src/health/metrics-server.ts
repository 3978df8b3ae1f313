import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import http from 'node:http';
import { Metrics } from '../common/metrics.js';

/**
 * Serves `GET /metrics` (Prometheus text format) on `METRICS_PORT`, a listener of its own: the
 * metrics never share the API's port, so they need no token and are reachable only where the
 * operator exposes that port. Nothing else is served there. Closed last, once the API's listener
 * has closed, so the shutdown can be watched to its end.
 */
@Injectable()
export class MetricsServer implements OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server?: http.Server;

  constructor(private readonly metrics: Metrics) {}

  async listen(port: number, host: string): Promise<void> {
    const server = http.createServer((request, response) => void this.answer(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  private async answer(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const path = request.url?.split('?', 1)[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    try {
      const text = await this.metrics.registry.metrics();
      response.writeHead(200, { 'Content-Type': this.metrics.registry.contentType, 'Cache-Control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : text);
    } catch (error) {
      this.logger.error({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Metrics collection failed\n');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
