// The WebSocket: one per tab, for the open room and the orders table. It resumes every watched
// topic after a reconnect without a gap (subscriptions.js), reconnects with backoff, and notices
// a dead network with a heartbeat (docs/connections.md).

import { $ } from './dom.js';
import { Backoff } from './backoff.js';
import { showAlert } from './alerts.js';
import { session } from './session.js';
import { api } from './rest.js';
import { renewOrEnd } from './token-renewal.js';
import { outbox } from './outbox.js';
import { updateComposer } from './composer.js';
import { subscribeAll, subscriptionError, subscriptionsLost, topicFrame } from './subscriptions.js';

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
  /** topic → {since: number|null, ref, ready, caughtUp, handler}: see subscriptions.js */
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
    subscribeAll();
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

/** Every watched topic has caught up (or there is none): what arrives now is live. */
export function becameLive() {
  live.backoff.reset();
  setConnectionState('live', 'Live');
  outbox.pump();
}

function handleFrame(frame) {
  switch (frame.type) {
    case 'ack':
    case 'pong': {
      const reply = live.replies.get(frame.ref);
      live.replies.delete(frame.ref);
      if (reply) reply.resolve(frame);
      if (frame.type === 'pong') live.awaitingPong = false;
      break;
    }
    case 'error':
      if (!replyError(frame) && !subscriptionError(frame) && frame.code !== 'rate_limited') {
        showAlert(`The server refused a request: ${frame.message || frame.code}`);
      }
      break;
    default:
      topicFrame(frame); // subscribed, event, caught_up, …; frame types a newer server may add are ignored
      break;
  }
}

/** An `error` answering a frame that waits for its reply (post, auth, ping); false otherwise. */
function replyError(frame) {
  const reply = frame.ref && live.replies.get(frame.ref);
  if (!reply) return false;
  live.replies.delete(frame.ref);
  reply.reject(Object.assign(new Error(frame.message || frame.code), { code: frame.code }));
  return true;
}

/** The socket closed or failed: decide whether and when to come back (docs/connections.md). */
function socketGone(code, reason, opened) {
  live.socket = null;
  stopHeartbeat();
  for (const reply of live.replies.values()) reply.reject(new Error('connection lost'));
  live.replies.clear();
  subscriptionsLost();
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
