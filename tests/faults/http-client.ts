// A small fetch client for real processes: every answer with its status, body, content type
// and how long it took; a request that hangs is cut after 10 s and reported as status 0.
export interface Answer {
  status: number;
  body: Record<string, unknown>;
  contentType: string;
  retryAfter: string | null;
  ms: number;
  /** When the request was sent (Date.now()). */
  sentAt: number;
  path: string;
}

export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: object; token?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const started = Date.now();
  const headers: Record<string, string> = { ...options.headers };
  if (options.body) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  try {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: options.body ? JSON.stringify(options.body) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      body = { notJson: text.slice(0, 200) };
    }
    return {
      status: response.status,
      body,
      contentType: response.headers.get('content-type') ?? '',
      retryAfter: response.headers.get('retry-after'),
      ms: Date.now() - started,
      sentAt: started,
      path,
    };
  } catch (error) {
    return {
      status: 0,
      body: { error: String(error) },
      contentType: '',
      retryAfter: null,
      ms: Date.now() - started,
      sentAt: started,
      path,
    };
  }
}
