// Backoff: how long to wait before trying a connection again (the WebSocket, the EventSource).

/** Full jitter would allow ~0 ms waits in a row; half fixed, half random spreads clients out without hammering. */
export class Backoff {
  constructor(base = 500, cap = 10000) { this.base = base; this.cap = cap; this.attempt = 0; }
  next() {
    const ceiling = Math.min(this.cap, this.base * 2 ** Math.min(this.attempt, 20));
    this.attempt += 1;
    return Math.round(ceiling / 2 + Math.random() * ceiling / 2);
  }
  reset() { this.attempt = 0; }
}
