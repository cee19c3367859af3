// The WebSocket: one per tab, for the open room and the orders table. It subscribes each topic
// with its own resume point, resumes after a reconnect without a gap, reconnects with backoff,
// and notices a dead network with a heartbeat (docs/connections.md).

import { $ } from './dom.js';
import { Backoff } from './backoff.js';
import { showAlert } from './alerts.js';
import { session } from './session.js';
import { api } from './rest.js';
import { renewOrEnd } from './token-renewal.js';
import { outbox } from './outbox.js';
import { updateComposer } from './composer.js';

/**
 * Topics are subscribed one per `subscribe` frame, each with its own resume point: a refused
 * subscribe is all-or-nothing, and a room we may no longer read must not take `orders` with
 * it. Events are matched to their subscription by topic, and each topic keeps the id it has
 * processed so that a replay never delivers anything twice.
 */
export const live = {
  socket: null,
  state: 'signed-out',
  backoff: new Backoff(),
  reconnectTimer: null,
  countdownTimer: null,
  reconnectAt: 0,
  heartbeatTimer: null,
  awaitingPong: false,
  nextRef: 1,
  /** topic → {since: number|null, ref, ready, caughtUp, handler} */
  topics: new Map(),
  /** ref → {resolve, reject} for frames that get an ack */
  replies: new Map(),
  signedOut: false,
};

function wsUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/v1/ws?access_token=${encodeURIComponent(session.token)}`;
}

export function setConnectionState(state, text) {
  live.state = state;
  $('connection').dataset.state = state;
  $('connection-text').textContent = text;
  $('reconnect-now').hidden = !(state === 'offline' || state === 'stopped');
  if (state !== 'offline') $('connection-countdown').textContent = '';
  updateComposer();
}

export function connect() {
  clearTimeout(live.reconnectTimer);
  clearInterval(live.countdownTimer);
  if (!session || live.socket) return;
  if (session.expiresAt && session.expiresAt <= Date.now()) {
    // The handshake would be refused with a 401 that a browser cannot read: renew first.
    renewOrEnd();
    return;
  }
  setConnectionState('connecting', 'Connecting…');
  const socket = new WebSocket(wsUrl(), 'tideline.v1');
  live.socket = socket;
  let opened = false;
  socket.addEventListener('open', () => {
    opened = true;
    setConnectionState('catching-up', 'Catching up…');
    for (const topic of live.topics.keys()) subscribe(topic);
    if (live.topics.size === 0) becameLive();
    startHeartbeat();
  });
  socket.addEventListener('message', (event) => {
    if (live.socket !== socket) return;
    let frame;
    try { frame = JSON.parse(event.data); } catch { return; }
    handleFrame(frame);
  });
  socket.addEventListener('close', (event) => {
    if (live.socket !== socket) return;
    socketGone(event.code, event.reason, opened);
  });
}

export function send(frame) {
  if (!live.socket || live.socket.readyState !== WebSocket.OPEN) return false;
  live.socket.send(JSON.stringify(frame));
  return true;
}

/** A frame that gets an `ack` (or `error` with its ref). */
export function request(frame) {
  const ref = String(live.nextRef++);
  return new Promise((resolve, reject) => {
    if (!send({ ...frame, ref })) { reject(new Error('not connected')); return; }
    live.replies.set(ref, { resolve, reject });
  });
}

/** Start receiving a topic from `since` (null: live only); `handler(kind, frame)` gets its frames. */
export function watchTopic(topic, since, handler) {
  live.topics.set(topic, { since, ref: null, ready: false, caughtUp: false, handler });
  if (live.socket && live.socket.readyState === WebSocket.OPEN) {
    if (live.state === 'live') setConnectionState('catching-up', 'Catching up…');
    subscribe(topic);
  }
}

export function unwatchTopic(topic) {
  if (!live.topics.delete(topic)) return;
  send({ type: 'unsubscribe', ref: String(live.nextRef++), topics: [topic] });
  if (live.state === 'catching-up' && allCaughtUp()) becameLive();
}

function subscribe(topic) {
  const entry = live.topics.get(topic);
  entry.ref = String(live.nextRef++);
  entry.ready = false;
  entry.caughtUp = false;
  const frame = { type: 'subscribe', ref: entry.ref, topics: [topic] };
  if (entry.since !== null) frame.since = String(entry.since);
  send(frame);
}

function allCaughtUp() {
  for (const entry of live.topics.values()) if (!entry.caughtUp) return false;
  return true;
}

function becameLive() {
  live.backoff.reset();
  setConnectionState('live', 'Live');
  outbox.pump();
}

function entryForRef(ref) {
  for (const [topic, entry] of live.topics) if (entry.ref === ref) return [topic, entry];
  return [null, null];
}

function handleFrame(frame) {
  switch (frame.type) {
    case 'subscribed': {
      // From here on, this topic's frames belong to the new subscription; anything before it
      // was an older one's and is ignored.
      const [, entry] = entryForRef(frame.ref);
      if (entry) entry.ready = true;
      break;
    }
    case 'event': {
      const entry = live.topics.get(frame.topic);
      if (!entry || !entry.ready || !frame.event) return;
      const id = Number(frame.event.id);
      if (entry.since !== null && id <= entry.since) return; // seen already
      entry.since = id;
      entry.handler('event', frame.event);
      break;
    }
    case 'caught_up': {
      const [topic, entry] = entryForRef(frame.ref);
      if (!entry) return;
      entry.caughtUp = true;
      // Everything up to the high-water mark has been delivered: resume from there.
      entry.since = Math.max(entry.since ?? 0, Number(frame.event_id));
      entry.handler('caught_up', frame);
      if (topic && live.state !== 'live' && allCaughtUp()) becameLive();
      break;
    }
    case 'typing':
    case 'presence':
    case 'presence_diff': {
      const entry = live.topics.get(frame.topic);
      if (entry && entry.ready) entry.handler(frame.type, frame);
      break;
    }
    case 'ack':
    case 'pong': {
      const reply = live.replies.get(frame.ref);
      live.replies.delete(frame.ref);
      if (reply) reply.resolve(frame);
      if (frame.type === 'pong') live.awaitingPong = false;
      break;
    }
    case 'error':
      handleErrorFrame(frame);
      break;
    default:
      break; // unsubscribed, and frame types a newer server may add
  }
}

function handleErrorFrame(frame) {
  const reply = frame.ref && live.replies.get(frame.ref);
  if (reply) {
    live.replies.delete(frame.ref);
    reply.reject(Object.assign(new Error(frame.message || frame.code), { code: frame.code }));
    return;
  }
  const [topic, entry] = frame.ref ? entryForRef(frame.ref) : [null, null];
  if (entry) {
    // The subscribe was refused (a private room we left, a room that is gone).
    live.topics.delete(topic);
    entry.handler('refused', frame);
    if (allCaughtUp() && live.state === 'catching-up') becameLive();
    return;
  }
  // Without a ref: a subscription the server ended (left a private room), or frames dropped
  // by the rate limit. The message names the topic.
  const ended = /unsubscribed from (\S+)/.exec(frame.message || '');
  if (ended) {
    const gone = live.topics.get(ended[1]);
    live.topics.delete(ended[1]);
    if (gone) gone.handler('refused', frame);
    return;
  }
  if (frame.code !== 'rate_limited') showAlert(`The server refused a request: ${frame.message || frame.code}`);
}

/** The socket closed or failed: decide whether and when to come back (docs/connections.md). */
function socketGone(code, reason, opened) {
  live.socket = null;
  stopHeartbeat();
  for (const reply of live.replies.values()) reply.reject(new Error('connection lost'));
  live.replies.clear();
  for (const entry of live.topics.values()) { entry.ready = false; entry.caughtUp = false; entry.handler('disconnected'); }
  outbox.connectionLost();
  if (live.signedOut || !session) return;

  if (code === 4001 || (!opened && session.expiresAt && session.expiresAt <= Date.now() + 5000)) {
    renewOrEnd();
  } else if (code === 1002 || code === 1007 || code === 1008 || code === 1009) {
    // The client broke a rule: trying the same again fails the same way.
    setConnectionState('stopped', `Disconnected (${reason || code}); not reconnecting on my own.`);
  } else {
    // 1000 unasked, 1001 shutdown or ping timeout, 1006 dropped, 1011, 4008 too slow,
    // 4029 rate limited: reconnect with backoff and resume.
    scheduleReconnect(code === 4029 ? 5000 : 0);
    // A refused handshake looks like any failure to a browser (1006). If the server answers
    // REST but keeps refusing the socket, ask REST whether it is the token: a 401 there
    // renews it or ends the session (see api()).
    if (!opened && live.backoff.attempt >= 3) api('GET', '/v1/rooms?limit=1').catch(() => {});
  }
}

export function scheduleReconnect(minimumDelay = 0) {
  const delay = Math.max(minimumDelay, live.backoff.next());
  live.reconnectAt = Date.now() + delay;
  setConnectionState('offline', 'Offline, reconnecting');
  const tick = () => {
    const seconds = Math.max(0, Math.ceil((live.reconnectAt - Date.now()) / 1000));
    $('connection-countdown').textContent = seconds > 0 ? `in ${seconds} s` : 'now';
  };
  tick();
  clearInterval(live.countdownTimer);
  live.countdownTimer = setInterval(tick, 500);
  clearTimeout(live.reconnectTimer);
  live.reconnectTimer = setTimeout(connect, delay);
}

export function reconnectNow() {
  if (live.socket || !session) return;
  live.backoff.reset();
  connect();
}

export function disconnect() {
  live.signedOut = true;
  clearTimeout(live.reconnectTimer);
  clearInterval(live.countdownTimer);
  stopHeartbeat();
  const socket = live.socket;
  live.socket = null;
  if (socket) socket.close(1000, 'signed out');
  live.topics.clear();
  live.replies.clear();
}

/**
 * The server pings and the browser answers by itself, but a dead network (a laptop waking up)
 * can leave a socket that looks open for minutes: a JSON ping notices within a minute.
 */
function startHeartbeat() {
  stopHeartbeat();
  live.awaitingPong = false;
  live.heartbeatTimer = setInterval(() => {
    if (live.awaitingPong) {
      const socket = live.socket;
      live.socket = null;
      if (socket) socket.close(4000, 'no pong');
      socketGone(1006, 'no pong', true);
      return;
    }
    live.awaitingPong = true;
    request({ type: 'ping' }).catch(() => {});
  }, 25000);
}

function stopHeartbeat() { clearInterval(live.heartbeatTimer); live.heartbeatTimer = null; }
