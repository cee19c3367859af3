// Tideline in the browser: chat, orders and notifications over the public API only
// (fetch for REST, one WebSocket for rooms and orders, one EventSource for notifications).
//
// Plain ES module, no build step, no dependency: the server's Content-Security-Policy allows
// only this origin, so everything the page needs is in index.html, app.js and app.css.
//
// The rules this file follows, from docs/connections.md:
// - event ids are decimal strings of at most 2^53 - 1: compared as numbers, never as strings;
// - every live subscription resumes from max(last event id processed, last caught_up.event_id)
//   of that subscription, so a reconnect has no gap; what comes twice anyway (REST history
//   overlapping a replay, an optimistic insert) is dropped by its message, order or
//   notification id;
// - every message has a client_msg_id chosen once, so sending it again after a broken
//   connection can never post it twice (the server answers the first ack again).

// ---------------------------------------------------------------------------------------------
// Small helpers

const $ = (id) => document.getElementById(id);

const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MESSAGE_LIMIT = 4000; // grapheme clusters after trimming, as the server counts them

/** A random id; crypto.randomUUID needs a secure context, getRandomValues does not. */
function randomId(prefix) {
  if (crypto.randomUUID) return prefix + crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Builds an element: el('li', {class: 'x', dataset: {id: '1'}}, 'text', child). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A <time> showing hours and minutes, the full date on hover. */
function timeElement(iso, format = timeFormat) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return el('time', {}, '');
  return el('time', { datetime: iso, title: dateTimeFormat.format(date) }, format.format(date));
}

/** Money from the API's integer minor units ("cents"). */
function formatMoney(cents, currency) {
  try {
    return new Intl.NumberFormat(undefined, {
      style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 2,
    }).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

/** "3.5" or "3,50" to 350, exactly (no floating point); null when it is not a price. */
function parseCents(text) {
  const match = /^\s*(\d{1,13})(?:[.,](\d{1,2}))?\s*$/.exec(text);
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] || '').padEnd(2, '0'));
}

/** Length as the server counts it: grapheme clusters (where the browser can segment). */
function graphemeCount(text) {
  if (typeof Intl.Segmenter !== 'function') return [...text].length;
  let count = 0;
  for (const _ of new Intl.Segmenter().segment(text)) count += 1;
  return count;
}

/** Full jitter would allow ~0 ms waits in a row; half fixed, half random spreads clients out without hammering. */
class Backoff {
  constructor(base = 500, cap = 10000) { this.base = base; this.cap = cap; this.attempt = 0; }
  next() {
    const ceiling = Math.min(this.cap, this.base * 2 ** Math.min(this.attempt, 20));
    this.attempt += 1;
    return Math.round(ceiling / 2 + Math.random() * ceiling / 2);
  }
  reset() { this.attempt = 0; }
}

// ---------------------------------------------------------------------------------------------
// Alerts and announcements

function showAlert(message) {
  $('alert-text').textContent = message;
  $('alert').hidden = false;
}

function hideAlert() { $('alert').hidden = true; }

/** Screen readers hear this once; the visible UI shows the same thing elsewhere. */
function announce(message) {
  const announcer = $('announcer');
  announcer.textContent = '';
  // A fresh text node after a tick, so that the same message twice is announced twice.
  setTimeout(() => { announcer.textContent = message; }, 50);
}

// ---------------------------------------------------------------------------------------------
// Session: the token and who it is for, kept per tab in sessionStorage

const SESSION_KEY = 'tideline.session';
let session = null; // {token, user, roles, expiresAt (ms or null), minted}

/** The claims of a JWT, without verifying it (the server does that). */
function decodeToken(token) {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('a token has three parts separated by dots');
  let claims;
  try {
    const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = new TextDecoder().decode(
      Uint8Array.from(atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4)), (c) => c.charCodeAt(0)));
    claims = JSON.parse(json);
  } catch {
    throw new Error('its middle part is not base64url-encoded JSON');
  }
  if (typeof claims.sub !== 'string') throw new Error('the token has no user (sub)');
  return claims;
}

function saveSession(next) {
  session = next;
  if (next) sessionStorage.setItem(SESSION_KEY, JSON.stringify(next));
  else sessionStorage.removeItem(SESSION_KEY);
}

function loadSession() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(SESSION_KEY));
    if (stored && stored.token && stored.user) return stored;
  } catch { /* a damaged entry is as good as none */ }
  return null;
}

const isStaff = () => Boolean(session && session.roles.includes('staff'));

/** POST /v1/auth/token: exists only on a development server (404 elsewhere). */
async function mintToken(user, roles) {
  const reply = await api('POST', '/v1/auth/token', { body: { user, roles }, anonymous: true });
  return { token: reply.token, user, roles, expiresAt: Date.parse(reply.expires_at), minted: true };
}

// ---------------------------------------------------------------------------------------------
// REST

class ApiError extends Error {
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
async function api(method, path, { body, idempotencyKey, anonymous = false, token } = {}) {
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
async function read(path, attempts = 6) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await api('GET', path);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 503 || attempt >= attempts) throw error;
      await sleep((error.retryAfter || 1) * 1000);
    }
  }
}

function query(path, parameters) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(parameters)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

// ---------------------------------------------------------------------------------------------
// The WebSocket: one per tab, for the open room and the orders table

/**
 * Topics are subscribed one per `subscribe` frame, each with its own resume point: a refused
 * subscribe is all-or-nothing, and a room we may no longer read must not take `orders` with
 * it. Events are matched to their subscription by topic, and each topic keeps the id it has
 * processed so that a replay never delivers anything twice.
 */
const live = {
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

function setConnectionState(state, text) {
  live.state = state;
  $('connection').dataset.state = state;
  $('connection-text').textContent = text;
  $('reconnect-now').hidden = !(state === 'offline' || state === 'stopped');
  if (state !== 'offline') $('connection-countdown').textContent = '';
  updateComposer();
}

function connect() {
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

function send(frame) {
  if (!live.socket || live.socket.readyState !== WebSocket.OPEN) return false;
  live.socket.send(JSON.stringify(frame));
  return true;
}

/** A frame that gets an `ack` (or `error` with its ref). */
function request(frame) {
  const ref = String(live.nextRef++);
  return new Promise((resolve, reject) => {
    if (!send({ ...frame, ref })) { reject(new Error('not connected')); return; }
    live.replies.set(ref, { resolve, reject });
  });
}

/** Start receiving a topic from `since` (null: live only); `handler(kind, frame)` gets its frames. */
function watchTopic(topic, since, handler) {
  live.topics.set(topic, { since, ref: null, ready: false, caughtUp: false, handler });
  if (live.socket && live.socket.readyState === WebSocket.OPEN) {
    if (live.state === 'live') setConnectionState('catching-up', 'Catching up…');
    subscribe(topic);
  }
}

function unwatchTopic(topic) {
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

function scheduleReconnect(minimumDelay = 0) {
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

function reconnectNow() {
  if (live.socket || !session) return;
  live.backoff.reset();
  connect();
}

function disconnect() {
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

// ---------------------------------------------------------------------------------------------
// Token renewal

let renewTimer = null;
let renewing = null; // the renewal in flight, shared by everyone who needs a fresh token

/** A minted token is renewed a minute before it expires; a pasted one cannot be. */
function scheduleRenewal() {
  clearTimeout(renewTimer);
  if (!session || !session.minted || !session.expiresAt) return;
  const delay = Math.max(5000, session.expiresAt - Date.now() - 60000);
  renewTimer = setTimeout(() => renewSession().catch(() => { renewTimer = setTimeout(scheduleRenewal, 15000); }),
    Math.min(delay, 2 ** 31 - 1));
}

/** Mints a new token for the same user and roles, and hands it to the open connections. */
function renewSession() {
  if (!renewing) {
    const { user, roles } = session;
    renewing = mintToken(user, roles).then((next) => {
      if (!session || session.user !== user) return;
      saveSession(next);
      scheduleRenewal();
      // The socket stays open: an auth frame moves its expiry. If that fails, reconnect.
      if (live.socket && live.socket.readyState === WebSocket.OPEN) {
        request({ type: 'auth', token: next.token }).catch(() => { if (live.socket) live.socket.close(1000); });
      }
      notifications.reopen(); // an EventSource cannot change its URL: a new one, from the last id
    }).finally(() => { renewing = null; });
  }
  return renewing;
}

/** The token is no longer accepted: mint a new one if we can, else end the session. */
function renewOrEnd() {
  if (!session) return;
  if (!session.minted) { endSession('Your token has expired or was refused. Sign in again.'); return; }
  if (!live.socket) setConnectionState('connecting', 'Renewing the session…');
  renewSession().then(() => { if (!live.socket) connect(); }, () => { if (!live.socket) scheduleReconnect(); });
}

function onUnauthorized() { renewOrEnd(); }

// ---------------------------------------------------------------------------------------------
// Chat: rooms, history, live messages, typing and presence

const chat = {
  rooms: [],
  current: null,         // the open room's id
  generation: 0,         // bumped on every room switch, so late answers for another room are dropped
  nextBefore: null,      // event id for "load older", null when the beginning is loaded
  loadingOlder: false,
  messageIds: new Set(), // message ids shown, to drop a message that comes twice
  typing: new Set(),
  presence: new Set(),
  caughtUp: false,
};

const roomTopic = (room) => `room:${room}`;

/** The room list; after our own write, `minEventId` makes the server answer with it included. */
async function loadRooms(minEventId) {
  const rooms = [];
  let after = null;
  // Every page; a server with thousands of rooms would want a search box instead.
  for (let page = 0; page < 20; page += 1) {
    const reply = await read(query('/v1/rooms', { limit: 500, after, min_event_id: page === 0 ? minEventId : null }));
    rooms.push(...reply.rooms);
    after = reply.next_after;
    if (!after) break;
  }
  chat.rooms = rooms;
  renderRooms();
}

function renderRooms() {
  const list = $('room-list');
  list.replaceChildren(...chat.rooms.map((room) => {
    const button = el('button', {
      type: 'button', class: 'room-button', dataset: { room: room.room_id, testid: 'room' },
      'aria-current': room.room_id === chat.current ? 'true' : null,
      onclick: () => openRoom(room.room_id, { focus: true }),
    },
    el('span', { class: 'room-name' }, room.name || room.room_id),
    room.visibility === 'private' ? el('span', { class: 'tag' }, 'private') : null,
    el('span', { class: 'room-members muted' }, `${room.member_count} ${room.member_count === 1 ? 'member' : 'members'}`));
    return el('li', {}, button);
  }));
  $('rooms-empty').hidden = chat.rooms.length > 0;
  renderRoomHeading();
}

/** The open room's name and visibility, which the room list may learn after the room opened. */
function renderRoomHeading() {
  const room = chat.rooms.find((r) => r.room_id === chat.current);
  $('room-title').textContent = chat.current ? (room && room.name) || chat.current : 'No room open';
  $('room-visibility').hidden = !room;
  $('room-visibility').textContent = room ? room.visibility : '';
  $('add-member-form').hidden = !(room && room.visibility === 'private');
  updateComposer();
}

/** Opens a room: joins it (a no-op for a member), loads its newest messages, subscribes from there. */
async function openRoom(roomId, { focus = false } = {}) {
  if (chat.current === roomId && live.topics.has(roomTopic(roomId))) {
    if (focus) $('message-input').focus();
    return;
  }
  if (chat.current && chat.current !== roomId) {
    typingOut.stop();
    unwatchTopic(roomTopic(chat.current));
  }
  const generation = ++chat.generation;
  chat.current = roomId;
  sessionStorage.setItem('tideline.room', roomId);
  resetConversation(roomId);
  renderRooms();
  setRoomsOpen(false); // on a phone the conversation needs the room; the toggle brings the list back
  try {
    // Joining answers the event by which we are a member; reading at least up to it means
    // the history is not older than our own join.
    const joined = await api('POST', `/v1/rooms/${encodeURIComponent(roomId)}/join`);
    const page = await read(query(`/v1/rooms/${encodeURIComponent(roomId)}/messages`, { limit: 50, min_event_id: joined.event_id }));
    if (generation !== chat.generation) return;
    hideAlert(); // an earlier complaint (say, about another room) no longer applies
    showHistory(page, { initial: true });
    // Resume right after the newest message we have; an empty room replays from the start,
    // which is only its creation and joins.
    const last = page.messages.length ? Number(page.messages[page.messages.length - 1].event_id) : 0;
    watchTopic(roomTopic(roomId), last, roomFrame);
    loadRooms(joined.event_id).catch(() => {}); // its member count includes us now
    updateComposer();
    if (focus) $('message-input').focus();
    fillHistory(generation);
  } catch (error) {
    if (generation !== chat.generation) return;
    chat.current = null;
    sessionStorage.removeItem('tideline.room');
    resetConversation(null);
    renderRooms();
    showAlert(error instanceof ApiError && error.status === 403
      ? `${roomId} is a private room: a member has to add you first.`
      : error instanceof ApiError && error.status === 404
        ? `There is no room ${roomId}.`
        : `Could not open ${roomId}: ${error.message}`);
  }
}

function resetConversation(roomId) {
  chat.messageIds.clear();
  chat.typing.clear();
  chat.presence.clear();
  chat.nextBefore = null;
  chat.caughtUp = false;
  $('messages').replaceChildren();
  renderRoomHeading();
  $('room-actions').hidden = !roomId;
  $('presence').hidden = !roomId;
  if (!roomId) setRoomsOpen(true);
  $('no-room').hidden = Boolean(roomId);
  $('load-older').hidden = true;
  $('history-start').hidden = true;
  renderPresence();
  renderTyping();
  outbox.render();
  updateComposer();
}

/** Adds a page of history (oldest first) from GET …/messages. */
function showHistory(page, { initial = false } = {}) {
  const scroller = $('message-scroller');
  const heightBefore = scroller.scrollHeight;
  const topBefore = scroller.scrollTop;
  for (const message of page.messages) addMessage(message, { live: false });
  chat.nextBefore = page.next_before;
  $('load-older').hidden = !chat.nextBefore;
  $('history-start').hidden = Boolean(chat.nextBefore);
  if (initial) scrollToBottom();
  else scroller.scrollTop = topBefore + (scroller.scrollHeight - heightBefore); // keep what was on screen in place
}

async function loadOlder() {
  if (!chat.current || !chat.nextBefore || chat.loadingOlder) return;
  const generation = chat.generation;
  chat.loadingOlder = true;
  $('load-older').textContent = 'Loading…';
  try {
    const page = await read(query(`/v1/rooms/${encodeURIComponent(chat.current)}/messages`, { limit: 50, before: chat.nextBefore }));
    if (generation === chat.generation) showHistory(page);
  } catch (error) {
    showAlert(`Could not load older messages: ${error.message}`);
  } finally {
    chat.loadingOlder = false;
    $('load-older').textContent = 'Load older messages';
  }
}

/** A short first page leaves no scroll bar, so "scroll to the top" could never load more. */
async function fillHistory(generation) {
  const scroller = $('message-scroller');
  if (scroller.clientHeight === 0) return; // not on screen (another view): nothing to fill
  for (let i = 0; i < 5 && generation === chat.generation && chat.nextBefore
       && scroller.scrollHeight <= scroller.clientHeight; i += 1) {
    await loadOlder();
  }
}

/** Frames of the open room's subscription. */
function roomFrame(kind, frame) {
  switch (kind) {
    case 'event': roomEvent(frame); break;
    case 'caught_up': chat.caughtUp = true; break;
    case 'typing':
      if (frame.user === session.user) return; // our own other tabs
      if (frame.state === 'started') chat.typing.add(frame.user); else chat.typing.delete(frame.user);
      renderTyping();
      break;
    case 'presence':
      chat.presence = new Set(frame.users);
      renderPresence();
      break;
    case 'presence_diff':
      for (const user of frame.leaves || []) chat.presence.delete(user);
      for (const user of frame.joins || []) chat.presence.add(user);
      renderPresence();
      break;
    case 'disconnected':
      // Typing and presence are not replayed: what we knew is stale until the next `presence`.
      chat.caughtUp = false;
      chat.typing.clear();
      chat.presence.clear();
      renderTyping();
      renderPresence();
      break;
    case 'refused':
      showAlert(`You can no longer read ${chat.current}: ${frame.message || frame.code}`);
      chat.current = null;
      sessionStorage.removeItem('tideline.room');
      resetConversation(null);
      loadRooms().catch(() => {});
      break;
    default: break;
  }
}

function roomEvent(envelope) {
  const data = envelope.data || {};
  switch (envelope.type) {
    case 'chat.message_posted':
      addMessage({ ...data, event_id: envelope.id, occurred_at: envelope.occurred_at }, { live: true });
      break;
    case 'chat.room_created':
      addSystemLine(envelope, `${data.created_by} created the room`);
      break;
    case 'chat.member_joined':
      addSystemLine(envelope, data.added_by && data.added_by !== data.user
        ? `${data.added_by} added ${data.user}` : `${data.user} joined`);
      membersChanged();
      break;
    case 'chat.member_left':
      addSystemLine(envelope, `${data.user} left`);
      membersChanged();
      break;
    default:
      break; // a type this page does not know: its id still counts as processed
  }
}

let roomsRefresh = null;

/** Member counts come only with the room list: fetch it again, once for a burst of joins. */
function membersChanged() {
  if (!chat.caughtUp || roomsRefresh) return;
  roomsRefresh = setTimeout(() => { roomsRefresh = null; loadRooms().catch(() => {}); }, 1000);
}

function isNearBottom() {
  const scroller = $('message-scroller');
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
}

function scrollToBottom() {
  const scroller = $('message-scroller');
  scroller.scrollTop = scroller.scrollHeight;
  $('jump-latest').hidden = true;
}

/** Puts a history item in event-id order (replays and history pages may overlap or interleave). */
function insertByEventId(node, eventId) {
  const list = $('messages');
  let after = list.lastElementChild;
  while (after && Number(after.dataset.eventId) > eventId) after = after.previousElementSibling;
  if (after) after.after(node); else list.prepend(node);
}

function addMessage(message, { live: isLive }) {
  if (chat.messageIds.has(message.message_id)) return;
  chat.messageIds.add(message.message_id);
  const own = message.author === session.user;
  const stickToBottom = isNearBottom();
  const node = el('li', {
    class: own ? 'message own' : 'message',
    dataset: {
      testid: 'message', messageId: message.message_id, eventId: message.event_id, author: message.author, own: String(own),
    },
  },
  el('div', { class: 'message-meta' },
    el('span', { class: 'author' }, own ? `${message.author} (you)` : message.author), ' ',
    timeElement(message.occurred_at)),
  el('p', { class: 'message-text', dataset: { testid: 'message-text' } }, message.text));
  insertByEventId(node, Number(message.event_id));
  outbox.delivered(message.client_msg_id, message.message_id);
  if (isLive && own) scrollToBottom();
  else if (isLive && stickToBottom) scrollToBottom();
  else if (isLive) $('jump-latest').hidden = false;
  if (isLive && !own && chat.caughtUp) announce(`${message.author}: ${message.text}`);
}

function addSystemLine(envelope, text) {
  const node = el('li', { class: 'system', dataset: { testid: 'system-line', eventId: envelope.id } },
    text, ' ', timeElement(envelope.occurred_at));
  const stickToBottom = isNearBottom();
  insertByEventId(node, Number(envelope.id));
  if (stickToBottom) scrollToBottom();
}

function renderTyping() {
  const users = [...chat.typing].sort();
  let text = '';
  if (users.length === 1) text = `${users[0]} is typing…`;
  else if (users.length === 2) text = `${users[0]} and ${users[1]} are typing…`;
  else if (users.length > 2) text = `${users.length} people are typing…`;
  $('typing').textContent = text;
}

function renderPresence() {
  const users = [...chat.presence].sort((a, b) => (a === session?.user ? -1 : b === session?.user ? 1 : a.localeCompare(b)));
  $('presence-count').textContent = String(users.length);
  $('presence-list').replaceChildren(...users.map((user) => el('li', {
    class: user === session?.user ? 'presence-user own' : 'presence-user', dataset: { testid: 'presence-user', user },
  }, user === session?.user ? `${user} (you)` : user)));
}

/** Our own typing signals: `started` while typing (renewed before the server's 5 s expiry), `stopped` when idle or sent. */
const typingOut = {
  active: false,
  lastStarted: 0,
  idleTimer: null,
  input(text) {
    if (!chat.current || live.state !== 'live') return;
    if (!text.trim()) { this.stop(); return; }
    const now = Date.now();
    // The server relays one `started` per 2 s and expires it after 5 s: renew every 3 s.
    if (!this.active || now - this.lastStarted > 3000) {
      if (send({ type: 'typing', room: chat.current, state: 'started' })) {
        this.active = true;
        this.lastStarted = now;
      }
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), 3000);
  },
  stop() {
    clearTimeout(this.idleTimer);
    if (this.active && chat.current) send({ type: 'typing', room: chat.current, state: 'stopped' });
    this.active = false;
  },
};

// ---------------------------------------------------------------------------------------------
// The outbox: messages on their way, kept in sessionStorage until the server has them

/**
 * Each message gets its client_msg_id when written, and keeps it through every retry: the
 * server answers a repeated client_msg_id with the first ack, so nothing is posted twice.
 * Messages go one at a time, in the order written, and only while live (after caught_up),
 * so that what others wrote while we were away comes before them.
 */
const outbox = {
  items: [], // {client_msg_id, room, text, state: 'queued'|'sending'|'sent'|'failed', error, message_id}
  timer: null,
  key() { return `tideline.outbox.${session.user}`; },
  load() {
    try { this.items = JSON.parse(sessionStorage.getItem(this.key())) || []; } catch { this.items = []; }
    // What was in flight when the tab closed is sent again (same client_msg_id, so at most once).
    this.items = this.items.filter((item) => item.state !== 'sent')
      .map((item) => (item.state === 'sending' ? { ...item, state: 'queued' } : item));
    this.save();
  },
  save() { if (session) sessionStorage.setItem(this.key(), JSON.stringify(this.items)); },
  add(room, text) {
    this.items.push({ client_msg_id: randomId('c-'), room, text, state: 'queued' });
    this.changed();
    this.pump();
  },
  changed() { this.save(); this.render(); },
  pump() {
    clearTimeout(this.timer);
    if (live.state !== 'live' || this.items.some((item) => item.state === 'sending')) return;
    const item = this.items.find((candidate) => candidate.state === 'queued');
    if (!item) return;
    item.state = 'sending';
    this.changed();
    request({ type: 'post', room: item.room, text: item.text, client_msg_id: item.client_msg_id })
      .then((ack) => this.acked(item, ack), (error) => this.refused(item, error));
  },
  acked(item, ack) {
    item.message_id = ack.message_id;
    item.state = 'sent';
    // The event comes on the room's subscription; if it did already, or we are not watching
    // that room, there is nothing left to wait for.
    if (item.room !== chat.current || chat.messageIds.has(ack.message_id)) this.remove(item);
    else this.changed();
    this.pump();
  },
  refused(item, error) {
    if (!this.items.includes(item)) return;
    if (!error.code || error.code === 'rate_limited' || error.code === 'unavailable') {
      // Connection lost or the server is busy: the same message goes again later.
      item.state = 'queued';
      this.changed();
      if (error.code) this.timer = setTimeout(() => this.pump(), 2000);
      return;
    }
    item.state = 'failed';
    item.error = error.message;
    this.changed();
    this.pump();
  },
  delivered(clientMsgId, messageId) {
    const item = this.items.find((candidate) => (clientMsgId && candidate.client_msg_id === clientMsgId)
      || (messageId && candidate.message_id === messageId));
    if (item && item.state !== 'sending') this.remove(item);
    else if (item) item.message_id = messageId; // its ack follows and finds the message shown
  },
  remove(item) {
    this.items = this.items.filter((candidate) => candidate !== item);
    this.changed();
  },
  connectionLost() {
    for (const item of this.items) if (item.state === 'sending') item.state = 'queued';
    if (session) this.changed();
  },
  render() {
    const label = { queued: 'Queued: sends when connected', sending: 'Sending…', sent: 'Sent', failed: 'Not sent' };
    $('outbox').replaceChildren(...this.items.filter((item) => item.room === chat.current).map((item) => el('li', {
      class: `message own pending ${item.state}`,
      dataset: { testid: 'outbox-message', state: item.state, clientMsgId: item.client_msg_id },
    },
    el('div', { class: 'message-meta' },
      el('span', { class: 'author' }, `${session.user} (you)`), ' ',
      el('span', { class: 'pending-state' }, item.state === 'failed' ? `${label.failed}: ${item.error}` : label[item.state])),
    el('p', { class: 'message-text', dataset: { testid: 'message-text' } }, item.text),
    item.state === 'failed' ? el('div', { class: 'pending-actions' },
      el('button', { type: 'button', class: 'link-button', onclick: () => { item.state = 'queued'; this.changed(); this.pump(); } }, 'Retry'),
      el('button', { type: 'button', class: 'link-button', onclick: () => this.remove(item) }, 'Discard')) : null)));
  },
};

function updateComposer() {
  const ready = Boolean(session && chat.current);
  $('message-input').disabled = !ready;
  $('send').disabled = !ready;
  // Writing stays possible offline: the outbox keeps the message until the connection is back.
  $('message-input').placeholder = !ready ? 'Open a room to write'
    : live.state === 'live' ? 'Write a message…' : 'Offline: sends when back';
}

function sendComposed() {
  const input = $('message-input');
  const text = input.value.trim();
  if (!text || !chat.current) return;
  if (graphemeCount(text) > MESSAGE_LIMIT) {
    showAlert(`A message has at most ${MESSAGE_LIMIT} characters.`);
    return;
  }
  typingOut.stop();
  outbox.add(chat.current, text);
  input.value = '';
  autosize(input);
  scrollToBottom();
}

function autosize(textarea) {
  textarea.style.height = 'auto'; // CSSOM, which the page's CSP allows (unlike style attributes)
  textarea.style.height = `${Math.min(textarea.scrollHeight, 160)}px`;
}

// ---------------------------------------------------------------------------------------------
// Orders

const orders = {
  byId: new Map(),
  idempotencyKey: null, // kept across retries of one submission, so a retry cannot order twice
  nextItem: 1,
};

async function loadOrders() {
  orders.byId.clear();
  $('orders-body').replaceChildren();
  let after = null;
  let last = 0;
  for (let page = 0; page < 40; page += 1) {
    const reply = await read(query('/v1/orders', { limit: 500, after }));
    for (const order of reply.orders) { addOrder(order); last = Math.max(last, Number(order.event_id)); }
    after = reply.next_after;
    if (!after) break;
  }
  $('orders-scope').textContent = isStaff() ? 'everyone’s, live' : 'yours, live';
  watchTopic('orders', last, ordersFrame);
}

function ordersFrame(kind, frame) {
  if (kind === 'event' && frame.type === 'orders.order_created') {
    addOrder({ ...frame.data, event_id: frame.id, occurred_at: frame.occurred_at }, { live: true });
  } else if (kind === 'refused') {
    showAlert(`The live orders table stopped: ${frame.message || frame.code}`);
  }
}

function addOrder(order, { live: isLive = false } = {}) {
  if (orders.byId.has(order.order_id)) return;
  orders.byId.set(order.order_id, order);
  const items = (order.items || []).map((item) => `${item.quantity} × ${item.sku}`).join(', ');
  const row = el('tr', {
    class: isLive ? 'fresh' : null,
    dataset: { testid: 'order-row', orderId: order.order_id, eventId: order.event_id, customer: order.customer_id },
  },
  el('td', { class: 'order-id', title: order.order_id }, el('code', {}, order.order_id)),
  el('td', {}, order.customer_id === session.user ? `${order.customer_id} (you)` : order.customer_id),
  el('td', {}, items),
  el('td', { class: 'num' }, formatMoney(order.total_cents, order.currency)),
  el('td', {}, timeElement(order.occurred_at, dateTimeFormat)));
  // Newest first.
  const body = $('orders-body');
  let before = body.firstElementChild;
  while (before && Number(before.dataset.eventId) > Number(order.event_id)) before = before.nextElementSibling;
  body.insertBefore(row, before);
  $('orders-empty').hidden = true;
}

function addItemRow() {
  const number = orders.nextItem++;
  const row = $('order-item-template').content.firstElementChild.cloneNode(true);
  for (const field of row.querySelectorAll('.field')) {
    const input = field.querySelector('input');
    const id = `${input.className}-${number}`;
    input.id = id;
    field.querySelector('label').htmlFor = id;
  }
  const remove = row.querySelector('.remove-item');
  remove.setAttribute('aria-label', 'Remove this item');
  remove.addEventListener('click', () => {
    if ($('order-items').querySelectorAll('.order-item').length > 1) row.remove();
    updateOrderTotal();
    $('add-item').focus();
  });
  $('order-items').append(row);
  updateOrderTotal();
  return row;
}

/** The form's items, or a list of what is wrong with them. */
function readOrderItems() {
  const items = [];
  const problems = [];
  $('order-items').querySelectorAll('.order-item').forEach((row, index) => {
    const sku = row.querySelector('.item-sku').value.trim();
    const quantity = Number(row.querySelector('.item-quantity').value);
    const cents = parseCents(row.querySelector('.item-price').value);
    if (!sku) problems.push(`item ${index + 1}: a SKU is needed`);
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > 10000) problems.push(`item ${index + 1}: quantity 1 to 10,000`);
    if (cents === null) problems.push(`item ${index + 1}: a price such as 3.50`);
    items.push({ sku, quantity, unit_price_cents: cents });
  });
  return { items, problems };
}

function updateOrderTotal() {
  const { items } = readOrderItems();
  const total = items.reduce((sum, item) => sum + (item.unit_price_cents ?? 0) * (Number.isInteger(item.quantity) ? item.quantity : 0), 0);
  $('order-total').textContent = formatMoney(total, $('order-currency').value);
}

async function placeOrder(event) {
  event.preventDefault();
  const { items, problems } = readOrderItems();
  if (problems.length) { $('order-result').textContent = `Check the order: ${problems.join('; ')}.`; return; }
  const currency = $('order-currency').value;
  orders.idempotencyKey ||= randomId('order-');
  $('place-order').disabled = true;
  $('order-result').textContent = 'Placing the order…';
  try {
    const reply = await api('POST', '/v1/orders', { body: { items, currency }, idempotencyKey: orders.idempotencyKey });
    orders.idempotencyKey = null;
    $('order-result').textContent = `Order ${reply.order_id} placed: ${formatMoney(reply.total_cents, currency)}.`;
    // The live table shows it as soon as its event arrives; this covers a socket that is down.
    addOrder({
      order_id: reply.order_id, customer_id: session.user, items, total_cents: reply.total_cents, currency,
      event_id: reply.event_id, occurred_at: new Date().toISOString(),
    }, { live: true });
    $('order-items').replaceChildren(el('legend', {}, 'Items'));
    addItemRow();
  } catch (error) {
    // A network error keeps the idempotency key: submitting again is then a retry, not a second order.
    if (error instanceof ApiError) orders.idempotencyKey = null;
    $('order-result').textContent = `The order was not placed: ${error.message}`;
  } finally {
    $('place-order').disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Notifications: the bell, fed by Server-Sent Events

const notifications = {
  byId: new Map(),
  source: null,
  lastId: 0,
  retryTimer: null,
  backoff: new Backoff(1000, 30000),

  async load() {
    this.byId.clear();
    this.lastId = 0;
    const reply = await read('/v1/notifications');
    for (const item of reply.notifications) {
      this.byId.set(item.notification_id, item);
      this.lastId = Math.max(this.lastId, Number(item.event_id));
    }
    this.render();
    this.open();
  },

  /**
   * EventSource resumes with Last-Event-ID by itself after a drop; a new one (new token, or
   * after it gave up on an error status) starts from `since` = the last id we processed.
   */
  open() {
    this.close();
    if (!session) return;
    const url = query('/v1/stream', { topics: 'notifications', access_token: session.token, since: this.lastId });
    const source = new EventSource(url);
    this.source = source;
    const listen = (type, handler) => source.addEventListener(type, (event) => {
      if (this.source !== source) return;
      const id = Number(event.lastEventId);
      if (id && id <= this.lastId) return;
      if (id) this.lastId = id;
      try { handler(JSON.parse(event.data)); } catch { /* not an envelope: ignore */ }
    });
    listen('notifications.notification_sent', (envelope) => this.sent(envelope));
    listen('notifications.notification_read', (envelope) => this.read(envelope.data.notification_id));
    source.addEventListener('open', () => { this.backoff.reset(); $('bell').dataset.stream = 'open'; });
    source.addEventListener('error', () => {
      if (this.source !== source) return;
      $('bell').dataset.stream = source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting';
      // CONNECTING: the browser retries by itself. CLOSED: an error status (401, 429, 5xx); we retry.
      if (source.readyState === EventSource.CLOSED) {
        this.close();
        if (session && session.expiresAt && session.expiresAt <= Date.now() + 5000) { onUnauthorized(); return; }
        this.retryTimer = setTimeout(() => this.open(), this.backoff.next());
      }
    });
  },

  reopen() { if (this.source || this.retryTimer) this.open(); },

  close() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.source) this.source.close();
    this.source = null;
  },

  sent(envelope) {
    const data = envelope.data;
    if (this.byId.has(data.notification_id)) return;
    this.byId.set(data.notification_id, {
      notification_id: data.notification_id, kind: data.kind, content: data.content,
      related_event_id: data.related_event_id, read: false, event_id: envelope.id, occurred_at: envelope.occurred_at,
    });
    announce(`New notification: ${data.content}`);
    this.render();
  },

  read(notificationId) {
    const item = this.byId.get(notificationId);
    if (!item || item.read) return;
    item.read = true;
    this.render();
  },

  async markRead(notificationId) {
    try {
      await api('POST', `/v1/notifications/${encodeURIComponent(notificationId)}/read`);
      this.read(notificationId); // the event will say the same; this makes the click feel instant
    } catch (error) {
      showAlert(`Could not mark the notification as read: ${error.message}`);
    }
  },

  async markAllRead() {
    // One at a time: a burst of many POSTs would meet the command rate limit.
    for (const item of [...this.byId.values()]) if (!item.read) await this.markRead(item.notification_id);
  },

  unread() { let count = 0; for (const item of this.byId.values()) if (!item.read) count += 1; return count; },

  render() {
    const count = this.unread();
    const bell = $('bell');
    bell.dataset.count = String(count);
    bell.setAttribute('aria-label', count ? `Notifications, ${count} unread` : 'Notifications, none unread');
    $('bell-count').textContent = count > 99 ? '99+' : String(count);
    $('bell-count').hidden = count === 0;
    const items = [...this.byId.values()].sort((a, b) => Number(b.event_id) - Number(a.event_id));
    $('notifications-empty').hidden = items.length > 0;
    $('mark-all-read').disabled = count === 0;
    $('notifications-list').replaceChildren(...items.map((item) => el('li', {
      class: item.read ? 'notification' : 'notification unread',
      dataset: { testid: 'notification', notificationId: item.notification_id, read: String(item.read) },
    },
    el('p', { class: 'notification-content' }, item.content),
    el('div', { class: 'notification-meta' },
      timeElement(item.occurred_at, dateTimeFormat),
      item.read ? el('span', { class: 'muted' }, 'Read')
        : el('button', {
          type: 'button', class: 'secondary small', dataset: { testid: 'mark-read' },
          'aria-label': `Mark as read: ${item.content}`, onclick: () => this.markRead(item.notification_id),
        }, 'Mark as read')))));
  },
};

function setPanelOpen(open) {
  $('notifications-panel').hidden = !open;
  $('bell').setAttribute('aria-expanded', String(open));
  if (open) $('notifications-title').focus();
}

// ---------------------------------------------------------------------------------------------
// Views, sign-in and sign-out

function showView(name) {
  const view = name === 'orders' ? 'orders' : 'chat';
  $('chat-view').hidden = view !== 'chat';
  $('orders-view').hidden = view !== 'orders';
  for (const link of $('views-nav').querySelectorAll('a')) {
    if (link.dataset.view === view) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }
  if (view === 'chat' && chat.current) scrollToBottom();
}

function setRoomsOpen(open) {
  $('rooms-toggle').setAttribute('aria-expanded', String(open));
  $('chat-view').classList.toggle('rooms-open', open);
}

async function startSession(next) {
  saveSession(next);
  live.signedOut = false;
  hideAlert();
  $('sign-in-view').hidden = true;
  $('views-nav').hidden = false;
  $('account').hidden = false;
  $('current-user').textContent = session.user;
  $('staff-badge').hidden = !isStaff();
  showView(location.hash.slice(1));
  outbox.load();
  outbox.render();
  scheduleRenewal();
  connect();
  const results = await Promise.allSettled([
    loadRooms(),
    loadOrders(),
    notifications.load(),
  ]);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed && session) showAlert(`Some of the page did not load: ${failed.reason.message}`);
  const lastRoom = sessionStorage.getItem('tideline.room');
  if (session && lastRoom) openRoom(lastRoom);
}

function endSession(message) {
  typingOut.stop();
  disconnect();
  notifications.close();
  clearTimeout(renewTimer);
  saveSession(null);
  sessionStorage.removeItem('tideline.room');
  chat.current = null;
  chat.rooms = [];
  orders.byId.clear();
  notifications.byId.clear();
  outbox.items = [];
  $('outbox').replaceChildren();
  $('room-list').replaceChildren();
  $('orders-body').replaceChildren();
  resetConversation(null);
  notifications.render();
  setPanelOpen(false);
  $('views-nav').hidden = true;
  $('account').hidden = true;
  $('chat-view').hidden = true;
  $('orders-view').hidden = true;
  $('sign-in-view').hidden = false;
  setConnectionState('signed-out', 'Signed out');
  if (message) showAlert(message);
  $('sign-in-user').focus();
}

function signOut() {
  const unsent = outbox.items.filter((item) => item.state !== 'sent').length;
  if (unsent && !window.confirm(`${unsent} message(s) have not been sent yet and will be lost. Sign out anyway?`)) return;
  if (session) sessionStorage.removeItem(`tideline.outbox.${session.user}`);
  endSession(null);
}

async function signInWithName(event) {
  event.preventDefault();
  const user = $('sign-in-user').value.trim();
  if (!IDENTIFIER.test(user)) {
    showAlert('A user name starts with a letter or digit and has only letters, digits, _ . - (up to 64).');
    $('sign-in-user').focus();
    return;
  }
  $('sign-in-submit').disabled = true;
  try {
    await startSession(await mintToken(user, $('sign-in-staff').checked ? ['staff'] : []));
  } catch (error) {
    showAlert(error instanceof ApiError && error.status === 404
      ? 'This server does not mint tokens (it is not in development mode): sign in with a token.'
      : `Could not sign in: ${error.message}`);
  } finally {
    $('sign-in-submit').disabled = false;
  }
}

async function signInWithToken(event) {
  event.preventDefault();
  const token = $('token-input').value.trim();
  let claims;
  try {
    claims = decodeToken(token);
  } catch (error) {
    showAlert(`That is not a token: ${error.message}.`);
    return;
  }
  const candidate = {
    token, user: claims.sub, roles: Array.isArray(claims.roles) ? claims.roles : [],
    expiresAt: claims.exp ? claims.exp * 1000 : null, minted: false,
  };
  // Ask the server before starting: a browser cannot see why a WebSocket handshake failed.
  try {
    await api('GET', '/v1/rooms?limit=1', { token });
  } catch (error) {
    showAlert(error instanceof ApiError && error.status === 401
      ? 'The server does not accept this token (wrong secret, or expired).' : `Could not check the token: ${error.message}`);
    return;
  }
  $('token-input').value = '';
  await startSession(candidate);
}

// ---------------------------------------------------------------------------------------------
// Wiring

function slugify(name) {
  return name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().trim()
    .replace(/[^a-z0-9_.-]+/g, '-').replace(/^[^a-z0-9]+/, '').replace(/-+$/, '').slice(0, 64);
}

async function createRoom(event) {
  event.preventDefault();
  const roomId = $('new-room-id').value.trim();
  const name = $('new-room-name').value.trim();
  if (!IDENTIFIER.test(roomId)) { showAlert('A room id has letters, digits, _ . - and starts with a letter or digit.'); $('new-room-id').focus(); return; }
  try {
    const body = { room_id: roomId, visibility: $('new-room-visibility').value };
    if (name) body.name = name;
    const reply = await api('POST', '/v1/rooms', { body });
    $('create-room-form').reset();
    delete $('new-room-id').dataset.edited;
    await loadRooms(reply.event_id);
    await openRoom(roomId, { focus: true });
  } catch (error) {
    showAlert(error instanceof ApiError && error.status === 409 ? `A room ${roomId} exists already: join it instead.` : `Could not create the room: ${error.message}`);
  }
}

async function addMember(event) {
  event.preventDefault();
  const user = $('add-member-user').value.trim();
  if (!IDENTIFIER.test(user) || !chat.current) return;
  try {
    await api('POST', `/v1/rooms/${encodeURIComponent(chat.current)}/members`, { body: { user } });
    $('add-member-form').reset();
  } catch (error) {
    showAlert(`Could not add ${user}: ${error.message}`);
  }
}

async function leaveRoom() {
  const roomId = chat.current;
  if (!roomId) return;
  try {
    const reply = await api('POST', `/v1/rooms/${encodeURIComponent(roomId)}/leave`);
    typingOut.stop();
    unwatchTopic(roomTopic(roomId));
    chat.current = null;
    sessionStorage.removeItem('tideline.room');
    resetConversation(null);
    await loadRooms(reply.event_id);
  } catch (error) {
    showAlert(`Could not leave ${roomId}: ${error.message}`);
  }
}

function wire() {
  $('sign-in-form').addEventListener('submit', signInWithName);
  $('token-form').addEventListener('submit', signInWithToken);
  $('sign-out').addEventListener('click', signOut);
  $('alert-close').addEventListener('click', hideAlert);
  $('reconnect-now').addEventListener('click', reconnectNow);

  $('bell').addEventListener('click', () => setPanelOpen($('notifications-panel').hidden));
  $('close-notifications').addEventListener('click', () => { setPanelOpen(false); $('bell').focus(); });
  $('mark-all-read').addEventListener('click', () => notifications.markAllRead());
  $('notifications-title').tabIndex = -1;
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !$('notifications-panel').hidden) { setPanelOpen(false); $('bell').focus(); }
  });

  window.addEventListener('hashchange', () => showView(location.hash.slice(1)));
  $('rooms-toggle').addEventListener('click', () => setRoomsOpen($('rooms-toggle').getAttribute('aria-expanded') !== 'true'));
  $('refresh-rooms').addEventListener('click', () => loadRooms().catch((error) => showAlert(`Could not load the rooms: ${error.message}`)));
  $('create-room-form').addEventListener('submit', createRoom);
  $('new-room-name').addEventListener('input', () => {
    if (!$('new-room-id').dataset.edited) $('new-room-id').value = slugify($('new-room-name').value);
  });
  $('new-room-id').addEventListener('input', () => { $('new-room-id').dataset.edited = 'yes'; });
  $('join-room-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const roomId = $('join-room-id').value.trim();
    if (!IDENTIFIER.test(roomId)) { showAlert('That is not a room id.'); return; }
    $('join-room-form').reset();
    openRoom(roomId, { focus: true });
  });
  $('add-member-form').addEventListener('submit', addMember);
  $('leave-room').addEventListener('click', leaveRoom);

  const input = $('message-input');
  $('composer').addEventListener('submit', (event) => { event.preventDefault(); sendComposed(); input.focus(); });
  input.addEventListener('keydown', (event) => {
    // Enter sends; Shift+Enter is a new line; Enter that confirms an IME composition is neither.
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) { event.preventDefault(); sendComposed(); }
  });
  input.addEventListener('input', () => { autosize(input); typingOut.input(input.value); });
  input.addEventListener('blur', () => typingOut.stop());

  const scroller = $('message-scroller');
  scroller.addEventListener('scroll', () => {
    if (scroller.scrollTop < 40) loadOlder();
    if (isNearBottom()) $('jump-latest').hidden = true;
  }, { passive: true });
  $('load-older').addEventListener('click', loadOlder);
  $('jump-latest').addEventListener('click', () => { scrollToBottom(); input.focus(); });

  $('order-form').addEventListener('submit', placeOrder);
  $('order-form').addEventListener('input', updateOrderTotal);
  $('order-currency').addEventListener('change', updateOrderTotal);
  $('add-item').addEventListener('click', () => addItemRow().querySelector('input').focus());
  addItemRow();

  // Back online, or back to a tab the browser throttled: do not wait for the backoff.
  window.addEventListener('online', reconnectNow);
  document.addEventListener('visibilitychange', () => { if (!document.hidden && live.state === 'offline') reconnectNow(); });
  window.addEventListener('pagehide', () => typingOut.stop());
}

async function main() {
  wire();
  let stored = loadSession();
  if (stored && stored.minted && stored.expiresAt && stored.expiresAt < Date.now() + 60000) {
    // A reload after the tab slept past the token's expiry: a fresh one for the same user.
    stored = await mintToken(stored.user, stored.roles).catch(() => null);
  }
  if (stored && (!stored.expiresAt || stored.expiresAt > Date.now())) {
    startSession(stored);
  } else {
    saveSession(null);
    $('sign-in-user').focus();
  }
}

main();
