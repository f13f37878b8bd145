/**
 * The watcher's /metrics server (src/watch/metrics-server.ts) over real HTTP on 127.0.0.1, any
 * free port: what a scraper gets, what a failed scrape gets, and that the server lives on.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EXPOSITION_CONTENT_TYPE, serveMetrics, sharedWhileRunning, type MetricsServer } from '../../../src/watch/metrics-server.js';

let server: MetricsServer | undefined;
let blocker: Server | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  await new Promise((r) => (blocker ? blocker.close(r) : r(undefined)));
  blocker = undefined;
});

/** One request on a fresh connection; resolves with what came back. */
function get(port: number, path = '/metrics', method = 'GET'): Promise<{ status: number; type: string; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Calls `say` lines into `said`, and resolves `listening()` once the server says where it is. */
function start(scrape: () => Promise<string>, at = { host: '127.0.0.1', port: 0 }, retryMs = 1) {
  const said: string[] = [];
  let heard: (() => void) | null = null;
  server = serveMetrics(at, {
    scrape, retryMs,
    say: (l) => {
      said.push(l);
      heard?.();
    },
    describe: (e) => (e as Error).message,
  });
  const until = async (what: () => boolean) => {
    while (!what()) await new Promise<void>((r) => (heard = r));
  };
  const listening = async () => {
    await until(() => server!.address() !== null);
    return server!.address()!.port;
  };
  return { said, listening, until };
}

describe('/metrics', () => {
  test('a scrape gets the exposition, fresh each time, as Prometheus\'s text format', async () => {
    let n = 0;
    const { listening, said } = start(async () => `# TYPE x_total counter\nx_total ${++n}\n`);
    const port = await listening();
    expect(said).toEqual([`serving metrics on http://127.0.0.1:${port}/metrics`]);
    const first = await get(port);
    expect(first).toMatchObject({ status: 200, type: EXPOSITION_CONTENT_TYPE, body: '# TYPE x_total counter\nx_total 1\n' });
    expect((await get(port)).body).toContain('x_total 2');
    expect((await get(port, '/metrics?x=1')).body).toContain('x_total 3');
  });

  test('a scrape that fails is a 500 that says why; the server goes on and the next scrape works', async () => {
    let fail = true;
    const { listening, said } = start(async () => {
      if (fail) throw new Error('cannot read the hook log /var/log/libvirt/virt-sriov.log: EISDIR');
      return 'x 1\n';
    });
    const port = await listening();
    const failed = await get(port);
    expect(failed).toMatchObject({ status: 500, type: 'text/plain; charset=utf-8' });
    expect(failed.body).toBe('virt-sriov watch: cannot read the metrics: cannot read the hook log /var/log/libvirt/virt-sriov.log: EISDIR\n');
    expect(said.at(-1)).toBe('a /metrics scrape failed: cannot read the hook log /var/log/libvirt/virt-sriov.log: EISDIR');
    fail = false;
    expect(await get(port)).toMatchObject({ status: 200, body: 'x 1\n' });
  });

  test('scrapes at the same time all get their answer', async () => {
    let n = 0;
    const { listening } = start(async () => `x ${++n}\n`);
    const port = await listening();
    const bodies = (await Promise.all(Array.from({ length: 8 }, () => get(port)))).map((r) => r.body);
    expect(bodies.every((b) => /^x \d\n$/.test(b))).toBe(true);
  });

  test('HEAD has the headers and no body; another method is 405; another path 404; / says where the metrics are', async () => {
    const { listening } = start(async () => 'x 1\n');
    const port = await listening();
    expect(await get(port, '/metrics', 'HEAD')).toMatchObject({ status: 200, body: '', headers: { 'content-length': '4' } });
    expect(await get(port, '/metrics', 'POST')).toMatchObject({ status: 405, headers: { allow: 'GET, HEAD' } });
    expect(await get(port, '/metric')).toMatchObject({ status: 404, body: 'not found: the metrics are at /metrics\n' });
    expect(await get(port, '/')).toMatchObject({ status: 200, body: expect.stringContaining('/metrics') });
  });
});

describe('scrapes that arrive while one is read', () => {
  test('share its reading: a flood costs one read of the host; the next one after it reads again', async () => {
    let reads = 0;
    const finish: ((text: string) => void)[] = [];
    const scrape = sharedWhileRunning(() => {
      reads++;
      return new Promise<string>((r) => finish.push(r));
    });
    const three = [scrape(), scrape(), scrape()];
    expect(reads).toBe(1);
    finish[0]!('x 1\n');
    expect(await Promise.all(three)).toEqual(['x 1\n', 'x 1\n', 'x 1\n']);
    const again = scrape();
    expect(reads).toBe(2);
    finish[1]!('x 2\n');
    expect(await again).toBe('x 2\n');
  });

  test('a failed reading fails them all, and the next one reads again', async () => {
    let reads = 0;
    const scrape = sharedWhileRunning(async () => {
      if (++reads === 1) throw new Error('EISDIR');
      return 'x 1\n';
    });
    const both = [scrape(), scrape()].map((p) => p.catch((e: Error) => e.message));
    expect(await Promise.all(both)).toEqual(['EISDIR', 'EISDIR']);
    expect(await scrape()).toBe('x 1\n');
    expect(reads).toBe(2);
  });
});

describe('the address', () => {
  test('taken: said once, the watcher goes on, and the server listens once the port is free', async () => {
    blocker = createServer();
    await new Promise<void>((r) => blocker!.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    const { said, until, listening } = start(async () => 'x 1\n', { host: '127.0.0.1', port });
    await until(() => said.length > 0);
    expect(said[0]).toBe(`cannot serve metrics on 127.0.0.1:${port}: the port is taken; the watcher goes on without /metrics and tries again every 0.001 s`);
    expect(server!.address()).toBeNull();
    await new Promise((r) => blocker!.close(r));
    blocker = undefined;
    expect(await listening()).toBe(port);
    expect(said.filter((l) => l.startsWith('cannot serve'))).toHaveLength(1);
    expect((await get(port)).body).toBe('x 1\n');
  });

  test('close() ends it with a scraper\'s keep-alive connection still open, and stops the retries', async () => {
    const { listening } = start(async () => 'x 1\n');
    const port = await listening();
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/metrics', agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      }).on('error', reject).end();
    });
    await server!.close();
    server = undefined;
    await expect(get(port)).rejects.toThrow(/ECONNREFUSED/);
    agent.destroy();
  });
});
