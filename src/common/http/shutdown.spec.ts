import Fastify from 'fastify';
import http from 'node:http';
import net from 'node:net';
import { registerShutdownHooks, ShutdownState, stopAccepting } from './shutdown.js';

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

/** A raw HTTP/1.1 request on a new connection; resolves with everything received until the connection ends. */
function rawRequest(port: number, keepAlive = false): { socket: net.Socket; received: Promise<string> } {
  const socket = net.connect(port, '127.0.0.1', () => {
    socket.write(`GET / HTTP/1.1\r\nHost: test\r\nConnection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n`);
  });
  const received = new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(text));
  });
  return { socket, received };
}

describe('stopAccepting', () => {
  let server: http.Server;
  /** Set by a test once it has stopped; cleared afterwards even if the test failed, so Jest can exit. */
  let stopClosingIdle: (() => void) | undefined;

  beforeEach(() => {
    server = http.createServer((_request, response) => response.end('ok'));
  });

  afterEach(async () => {
    stopClosingIdle?.();
    stopClosingIdle = undefined;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** A keep-alive connection that has had one answer and sits idle, as clients and load balancers keep them. */
  async function idleKeepAliveConnection(port: number): Promise<{ socket: net.Socket; answers: () => number; closed: Promise<void> }> {
    const { socket, received } = rawRequest(port, true);
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    await new Promise<void>((resolve) => socket.on('data', () => text.endsWith('\r\n\r\nok') && resolve()));
    return { socket, answers: () => text.split('HTTP/1.1 200 OK').length - 1, closed: received.then(() => undefined) };
  }
  const secondRequest = 'GET / HTTP/1.1\r\nHost: test\r\nConnection: keep-alive\r\n\r\n';

  it('answers a request that sits unread on an idle keep-alive connection when it stops', async () => {
    const connection = await idleKeepAliveConnection(await listen(server));
    // Written to the kernel now; the server reads it only in its next poll phase.
    connection.socket.write(secondRequest);
    stopClosingIdle = await stopAccepting(server);
    await connection.closed;
    expect(connection.answers()).toBe(2);
  });

  // A canary for Node upgrades: platform facts the mechanism above relies on.
  describe('Node behaviour we rely on', () => {
    it('http.Server#close() drops an idle keep-alive connection whose next request sits unread (why stopAccepting exists)', async () => {
      const connection = await idleKeepAliveConnection(await listen(server));
      connection.socket.write(secondRequest);
      server.close();
      await connection.closed;
      expect(connection.answers()).toBe(1);
    });

    it('http.Server#close() answers a connection accepted a moment before', async () => {
      const port = await listen(server);
      server.once('connection', () => server.close());
      const { received } = rawRequest(port);
      // Node counts a new connection as active from its accept on, so this was never the cause of F4.
      expect(await received).toMatch(/\r\n\r\nok$/);
    });
  });

  it('answers a request on a connection accepted a moment before it stops', async () => {
    const port = await listen(server);
    const stopped = new Promise<() => void>((resolve) => server.once('connection', () => resolve(stopAccepting(server))));
    const { received } = rawRequest(port);
    stopClosingIdle = await stopped;
    expect(await received).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/);
  });

  it('refuses new connections, and closes idle keep-alive connections', async () => {
    const port = await listen(server);
    const { socket, received } = rawRequest(port, true);
    // Wait for the answer: the connection then sits idle, kept alive.
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    stopClosingIdle = await stopAccepting(server);
    expect(await received).toMatch(/\r\n\r\nok$/);
    const refused = await new Promise<string | undefined>((resolve) => {
      const late = net.connect(port, '127.0.0.1', () => resolve(undefined));
      late.on('error', (error: NodeJS.ErrnoException) => resolve(error.code));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});

describe('registerShutdownHooks', () => {
  it('adds Connection: close to every answer once draining, and only then', async () => {
    const fastify = Fastify();
    const state = new ShutdownState();
    registerShutdownHooks(fastify, state);
    fastify.get('/', () => ({ ok: true }));
    fastify.get('/fails', () => {
      throw new Error('boom');
    });
    expect((await fastify.inject({ method: 'GET', url: '/' })).headers.connection).not.toBe('close');
    state.startDraining();
    expect(state.draining).toBe(true);
    for (const url of ['/', '/fails', '/missing']) {
      expect((await fastify.inject({ method: 'GET', url })).headers.connection).toBe('close');
    }
    await fastify.close();
  });
});
