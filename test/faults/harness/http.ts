import { request } from 'node:http';

export interface Reply {
  /** The HTTP status, or 0 when no answer came (connection refused or reset, timeout). */
  status: number;
  body: any;
  /** The answer's `Retry-After` header, when it has one. */
  retryAfter?: string;
  /** Wall time from sending to the end of the answer (or of the failure). */
  ms: number;
  /** Why no answer came, when `status` is 0. */
  error?: string;
}

/**
 * One request on a connection of its own (no keep-alive): a killed and restarted service never
 * leaves a dead pooled socket behind, and each request's time is its own.
 */
export function call(port: number, method: string, path: string, body?: unknown, token?: string, timeoutMs = 30_000): Promise<Reply> {
  const started = performance.now();
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { connection: 'close' };
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  if (token) headers.authorization = `Bearer ${token}`;
  return new Promise((resolve) => {
    let settled = false;
    const done = (reply: Omit<Reply, 'ms'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...reply, ms: performance.now() - started });
    };
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) => done({ status: 0, body: undefined, error: error.message }));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: keep the text
        }
        const retryAfter = res.headers['retry-after'];
        done({ status: res.statusCode ?? 0, body: parsed, ...(retryAfter !== undefined && { retryAfter: String(retryAfter) }) });
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => done({ status: 0, body: undefined, error: error.code ?? error.message }));
    req.end(payload);
  });
}
