import { connect } from 'node:net';
import type { Socket } from 'node:net';

import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ControlHttpServer } from '../../../src/control/http.js';
import { harness } from './helpers.js';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A raw HTTP/1.1 connection, so a test can see exactly which requests share it. */
class RawClient {
  private buffer = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawClient(socket)));
      socket.on('error', reject);
    });
  }

  async request(head: string, body = ''): Promise<RawResponse> {
    this.socket.write(`${head}\r\n\r\n${body}`);
    for (;;) {
      const response = this.takeResponse();
      if (response !== undefined) return response;
      if (this.closed) throw new Error('connection closed before a full response');
      await new Promise<void>((resolve) => { this.waiting = resolve; });
    }
  }

  close(): void {
    this.socket.destroy();
  }

  /** Removes one complete response (headers plus Content-Length bytes) from the buffer. */
  private takeResponse(): RawResponse | undefined {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end === -1) return undefined;
    const lines = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (this.buffer.length < end + 4 + length) return undefined;
    const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    this.buffer = this.buffer.subarray(end + 4 + length);
    return { status: Number(lines[0]!.split(' ')[1]), headers, body };
  }
}

function post(body: string, extra: string[] = []): [string, string] {
  const head = ['POST / HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, ...extra].join('\r\n');
  return [head, body];
}

describe('control: HTTP transport', () => {
  let server: ControlHttpServer;
  let port: number;
  let client: RawClient;

  async function startServer(options: Partial<ConstructorParameters<typeof ControlHttpServer>[0]> = {}): Promise<void> {
    const h = harness();
    server = new ControlHttpServer({ host: '127.0.0.1', port: 0, handler: (request) => h.channel.execute(request), log: pino({ level: 'silent' }), ...options });
    await server.start();
    port = server.address().port;
    client = await RawClient.open(port);
  }

  beforeEach(async () => {
    await startServer();
  });

  afterEach(async () => {
    client.close();
    await server.stop();
  });

  it('answers two requests on one kept-alive connection', async () => {
    const first = await client.request(...post('{ "command": "lease4-get", "service": [ "dhcp4" ], "arguments": { "ip-address": "198.18.0.10" } }'));
    const second = await client.request(...post('{ "command": "dhcp-disable", "arguments": { "max-period": 60, "origin": "ha-partner" } }'));

    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toBe('application/json');
    expect(Number(first.headers['content-length'])).toBe(Buffer.byteLength(first.body));
    expect(JSON.parse(first.body)).toEqual([{ result: 3, text: 'Lease not found.' }]);
    expect(JSON.parse(second.body)).toEqual([{ result: 0, text: 'DHCPv4 service disabled for 60 seconds' }]);
    expect(client.closed).toBe(false);
  });

  it('ignores the request path as Kea does', async () => {
    const [, body] = post('{ "command": "list-commands" }');
    const response = await client.request(['POST /some/path HTTP/1.1', 'Host: x', 'Content-Type: Application/JSON', `Content-Length: ${body.length}`].join('\r\n'), body);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)[0].result).toBe(0);
  });

  it('answers GET with 405 and Allow: POST', async () => {
    const response = await client.request('GET / HTTP/1.1\r\nHost: x');
    expect(response.status).toBe(405);
    expect(response.headers['allow']).toBe('POST');
    expect(JSON.parse(response.body)).toEqual({ result: 405, text: 'Method Not Allowed' });
  });

  it.each([
    ['a missing content type', ['POST / HTTP/1.1', 'Host: x', 'Content-Length: 2'].join('\r\n'), '{}'],
    ['a content type with a charset', ['POST / HTTP/1.1', 'Host: x', 'Content-Type: application/json; charset=utf-8', 'Content-Length: 2'].join('\r\n'), '{}'],
    ['a body that is not JSON', ...post('{ "command": ')],
  ])('answers %s with 400 and a map body', async (_name, head, body) => {
    const response = await client.request(head, body);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ result: 400, text: 'Bad Request' });
  });

  it('answers a JSON body without command with result 1 in a list', async () => {
    const response = await client.request(...post('{ "arguments": {} }'));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual([{ result: 1, text: "Invalid command specified, does not contain mandatory 'command'" }]);
  });

  it('answers an unknown command with result 2 in a list', async () => {
    const response = await client.request(...post('{ "command": "lease4-bulk-apply", "service": [ "dhcp4" ] }'));
    expect(JSON.parse(response.body)).toEqual([{ result: 2, text: "'lease4-bulk-apply' command not supported." }]);
  });

  it('answers an oversized body with 413 and closes', async () => {
    client.close();
    await server.stop();
    await startServer({ maxBodyBytes: 100 });
    const response = await client.request(...post(`{ "command": "list-commands", "arguments": { "x": "${'a'.repeat(200)}" } }`));
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toEqual({ result: 413, text: 'Payload Too Large' });
  });
});

describe('control: HTTP basic authentication', () => {
  let server: ControlHttpServer;
  let client: RawClient;

  beforeEach(async () => {
    const h = harness();
    server = new ControlHttpServer({
      host: '127.0.0.1', port: 0, realm: 'kea-peer', auth: [{ user: 'kea-peer', password: 's3cret' }],
      handler: (request) => h.channel.execute(request), log: pino({ level: 'silent' }),
    });
    await server.start();
    client = await RawClient.open(server.address().port);
  });

  afterEach(async () => {
    client.close();
    await server.stop();
  });

  it('answers 401 with WWW-Authenticate without credentials', async () => {
    const response = await client.request(...post('{ "command": "list-commands" }'));
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Basic realm="kea-peer"');
    expect(JSON.parse(response.body)).toEqual({ result: 401, text: 'Unauthorized' });
  });

  it('answers 401 for a wrong password', async () => {
    const wrong = Buffer.from('kea-peer:guess').toString('base64');
    const response = await client.request(...post('{ "command": "list-commands" }', [`Authorization: Basic ${wrong}`]));
    expect(response.status).toBe(401);
  });

  it('runs the command with the right credentials', async () => {
    const right = Buffer.from('kea-peer:s3cret').toString('base64');
    const response = await client.request(...post('{ "command": "list-commands" }', [`Authorization: Basic ${right}`]));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)[0].result).toBe(0);
  });
});

describe('control: HTTP binding', () => {
  it('rejects an empty host', () => {
    expect(() => new ControlHttpServer({ host: '', port: 0, handler: async () => ({ result: 0 }), log: pino({ level: 'silent' }) })).toThrow(/host must name the address/);
  });

  it('reports a port in use with NESTOR_ERR_CONTROL_HTTP', async () => {
    const log = pino({ level: 'silent' });
    const first = new ControlHttpServer({ host: '127.0.0.1', port: 0, handler: async () => ({ result: 0 }), log });
    await first.start();
    const second = new ControlHttpServer({ host: '127.0.0.1', port: first.address().port, handler: async () => ({ result: 0 }), log });
    await expect(second.start()).rejects.toMatchObject({ code: 'NESTOR_ERR_CONTROL_HTTP' });
    await first.stop();
  });
});
