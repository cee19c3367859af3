// REST: one fetch per call, error answers (problem+json) as ApiError, and reads retried while
// a read model catches up. A 401 hands over to token renewal.

import { session } from './session.js';
import { onUnauthorized } from './token-renewal.js';

export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(ApiError.describe(status, problem));
    this.status = status;
    this.code = problem && problem.code;
    this.retryAfter = retryAfter;
  }

  static describe(status, problem) {
    if (!problem) return `the server answered ${status}`;
    const fields = (problem.errors || []).map((e) => `${e.field}: ${e.message}`).join('; ');
    return fields || problem.detail || problem.title || `the server answered ${status}`;
  }
}

/**
 * One REST call. Throws ApiError for an error status (problem+json), TypeError when the
 * server cannot be reached. A 401 on an authenticated call means the session is over.
 */
export async function api(method, path, { body, idempotencyKey, anonymous = false, token } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  else if (!anonymous && session) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store',
  });
  const text = response.status === 204 ? '' : await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) {
    const error = new ApiError(response.status, data, Number(response.headers.get('Retry-After')) || null);
    if (response.status === 401 && !anonymous && !token) onUnauthorized();
    throw error;
  }
  return data;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A read, retried while the server says 503 (a read model catching up to min_event_id). */
export async function read(path, attempts = 6) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await api('GET', path);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 503 || attempt >= attempts) throw error;
      await sleep((error.retryAfter || 1) * 1000);
    }
  }
}

export function query(path, parameters) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(parameters)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}
