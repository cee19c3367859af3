// Identifiers: the user and room ids the server accepts, and the random ids the page chooses
// itself (client_msg_id, Idempotency-Key).

export const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A random id; crypto.randomUUID needs a secure context, getRandomValues does not. */
export function randomId(prefix) {
  if (crypto.randomUUID) return prefix + crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
