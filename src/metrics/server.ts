/** A bare HTTP server answering GET /metrics from the process registry: the worker has no API of its own. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { scrape } from './registry';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

function answer(server: Server): Server {
  return server.on('request', (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics\n');
      return;
    }
    scrape().then(
      ({ contentType, text }) => res.writeHead(200, { 'content-type': contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(err)}\n`),
    );
  });
}

export function serveMetrics(port: number, host?: string): Promise<MetricsServer> {
  const server = answer(createServer());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Scrapers keep connections alive; they must not hold the process.
            server.closeAllConnections();
          }),
      });
    });
  });
}
