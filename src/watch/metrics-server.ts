/**
 * The watcher's /metrics (issue 18): Prometheus scrapes the exposition `virt-sriov metrics`
 * prints, built by the same code (src/cli/metrics-text.ts), read fresh at every scrape. node's
 * own http: one route, no dependency. Scrapes that arrive while one is being read share it, so
 * a flood of them costs one read of the host. A scrape that fails is a 500 with why, and the
 * watcher goes on; so it does when the address can't be had (taken, or not on this host yet): it
 * says so and tries again, for the watcher's first job is the guests' VFs, not their figures.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatListenAddress, type ListenAddress } from '../config/listen-address.js';

/** The exposition format's content type, as Prometheus and node_exporter write it. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface MetricsServerDeps {
  /** One scrape: the exposition text. May throw: the scrape is then a 500 with the message. */
  scrape(): Promise<string>;
  /** A line for the admin (stderr, journald). */
  say(line: string): void;
  /** How to describe a failed scrape (a VirtSriovError's message with its fix). */
  describe(e: unknown): string;
  /** How long to wait before trying an address that could not be had again. */
  readonly retryMs: number;
}

export interface MetricsServer {
  /** The address it listens on once it does (port 0 resolved); null before. */
  address(): ListenAddress | null;
  close(): Promise<void>;
}

export function serveMetrics(at: ListenAddress, deps: MetricsServerDeps): MetricsServer {
  const scrape = sharedWhileRunning(deps.scrape);
  const server: Server = createServer((req, res) => void answer(req, res, scrape, deps));
  let listening: ListenAddress | null = null;
  let retry: NodeJS.Timeout | null = null;
  let closed = false;
  let lastProblem = '';
  server.on('listening', () => {
    const a = server.address() as AddressInfo;
    listening = { host: a.address, port: a.port };
    lastProblem = '';
    deps.say(`serving metrics on http://${formatListenAddress(listening)}/metrics`);
  });
  server.on('error', (e: NodeJS.ErrnoException) => {
    if (listening || closed) return deps.say(`metrics server: ${e.message}`);
    const problem = `cannot serve metrics on ${formatListenAddress(at)}: ${e.code === 'EADDRINUSE' ? 'the port is taken' : e.message}`;
    if (problem !== lastProblem) deps.say(`${problem}; the watcher goes on without /metrics and tries again every ${deps.retryMs / 1000} s`);
    lastProblem = problem;
    retry = setTimeout(listen, deps.retryMs);
  });
  const listen = () => {
    retry = null;
    if (!closed) server.listen({ host: at.host, port: at.port, exclusive: true });
  };
  listen();
  return {
    address: () => listening,
    close: () => {
      closed = true;
      if (retry) clearTimeout(retry);
      if (!server.listening) return Promise.resolve();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        // a scraper's keep-alive connection would hold close() open until it times out
        server.closeAllConnections();
      });
    },
  };
}

/** `f`, but a call while an earlier one runs gets that one's result instead of running `f` again. */
export function sharedWhileRunning<T>(f: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  return () => (running ??= f().finally(() => (running = null)));
}

async function answer(req: IncomingMessage, res: ServerResponse, scrape: () => Promise<string>, deps: MetricsServerDeps): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/metrics' && path !== '/') return reply(res, req, 404, 'not found: the metrics are at /metrics\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, req, 405, 'only GET and HEAD\n', { allow: 'GET, HEAD' });
  if (path === '/') return reply(res, req, 200, 'virt-sriov watch: the metrics are at /metrics (docs/metrics.md)\n');
  let text: string;
  try {
    text = await scrape();
  } catch (e) {
    const why = deps.describe(e);
    deps.say(`a /metrics scrape failed: ${why.split('\n')[0]}`);
    return reply(res, req, 500, `virt-sriov watch: cannot read the metrics: ${why}\n`);
  }
  reply(res, req, 200, text, { 'content-type': EXPOSITION_CONTENT_TYPE });
}

function reply(res: ServerResponse, req: IncomingMessage, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(req.method === 'HEAD' ? undefined : body);
}
