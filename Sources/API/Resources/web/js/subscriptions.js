// Topic subscriptions on the WebSocket: the topics this tab watches, the `subscribe` frames that
// ask for them, and the server's answers routed to each topic's handler (docs/connections.md).

import { live, send, setConnectionState, becameLive } from './live-connection.js';

/**
 * A connection that opens subscribes every watched topic in ONE frame: the server grants the
 * topics we may read and names the ones it refuses (`refused` in `subscribed`, `topics` in an
 * `error`, contract section 10), so a room we may no longer read does not take `orders` with it.
 * A topic watched while connected is subscribed alone.
 *
 * A frame has one `since`, the smallest resume point of its topics; each topic keeps the id it
 * has processed and drops replayed ids it has seen, so a replay never delivers anything twice.
 * A topic without a resume point (live only) takes what comes after its `caught_up`.
 *
 * `live.topics`: topic → {since: number|null, ref, ready, caughtUp, handler}; topics of one
 * frame share its ref.
 */

/** Subscribes waiting out an `unavailable` (the server has not seen our `since` yet). */
const retries = new Set();

/** Start receiving a topic from `since` (null: live only); `handler(kind, frame)` gets its frames. */
export function watchTopic(topic, since, handler) {
  live.topics.set(topic, { since, ref: null, ready: false, caughtUp: false, handler });
  if (live.socket && live.socket.readyState === WebSocket.OPEN) {
    if (live.state === 'live') setConnectionState('catching-up', 'Catching up…');
    subscribe([topic]);
  }
}

export function unwatchTopic(topic) {
  if (!live.topics.delete(topic)) return;
  send({ type: 'unsubscribe', ref: String(live.nextRef++), topics: [topic] });
  if (live.state === 'catching-up' && allCaughtUp()) becameLive();
}

/** A connection opened: every watched topic, in one frame. */
export function subscribeAll() {
  if (live.topics.size > 0) subscribe([...live.topics.keys()]);
}

/** The connection is gone, and every subscription with it. */
export function subscriptionsLost() {
  for (const timer of retries) clearTimeout(timer);
  retries.clear();
  for (const entry of live.topics.values()) {
    entry.ref = null;
    entry.ready = false;
    entry.caughtUp = false;
    entry.handler('disconnected');
  }
}

export function allCaughtUp() {
  for (const entry of live.topics.values()) if (!entry.caughtUp) return false;
  return true;
}

function subscribe(topics) {
  const ref = String(live.nextRef++);
  let since = null;
  for (const topic of topics) {
    const entry = live.topics.get(topic);
    entry.ref = ref;
    entry.ready = false;
    entry.caughtUp = false;
    if (entry.since !== null) since = since === null ? entry.since : Math.min(since, entry.since);
  }
  const frame = { type: 'subscribe', ref, topics };
  if (since !== null) frame.since = String(since);
  send(frame);
}

/** The watched topics that `ref`'s subscribe asked for, as [topic, entry] pairs. */
function entriesFor(ref) {
  if (ref === undefined || ref === null) return [];
  return [...live.topics].filter(([, entry]) => entry.ref === ref);
}

/** A topic we cannot have: forget it and tell its handler (`why` has `code` and `message`). */
function drop(topic, entry, why) {
  live.topics.delete(topic);
  entry.handler('refused', why);
  if (live.state === 'catching-up' && allCaughtUp()) becameLive();
}

/** Frames that belong to a topic's subscription; false for any other frame. */
export function topicFrame(frame) {
  switch (frame.type) {
    case 'subscribed': {
      // From here on, the granted topics' frames belong to this subscription; anything before
      // it was an older one's and is ignored. A server before contract section 10 refuses
      // nothing here (it answers an error instead) and lists every topic.
      const refused = new Map((frame.refused || []).map((refusal) => [refusal.topic, refusal]));
      for (const [topic, entry] of entriesFor(frame.ref)) {
        if (refused.has(topic)) drop(topic, entry, refused.get(topic));
        else entry.ready = true;
      }
      return true;
    }
    case 'event': {
      const entry = live.topics.get(frame.topic);
      if (!entry || !entry.ready || !frame.event) return true;
      if (entry.since === null && !entry.caughtUp) return true; // live only: a replay for the frame's other topics
      const id = Number(frame.event.id);
      if (entry.since !== null && id <= entry.since) return true; // seen already
      entry.since = id;
      entry.handler('event', frame.event);
      return true;
    }
    case 'caught_up': {
      const entries = entriesFor(frame.ref);
      for (const [, entry] of entries) {
        entry.caughtUp = true;
        // Everything up to the high-water mark has been delivered: resume from there.
        entry.since = Math.max(entry.since ?? 0, Number(frame.event_id));
        entry.handler('caught_up', frame);
      }
      if (entries.length > 0 && live.state !== 'live' && allCaughtUp()) becameLive();
      return true;
    }
    case 'typing':
    case 'presence':
    case 'presence_diff': {
      const entry = live.topics.get(frame.topic);
      if (entry && entry.ready) entry.handler(frame.type, frame);
      return true;
    }
    case 'unsubscribed':
      return true;
    default:
      return false;
  }
}

/** An `error` about subscriptions; false when it is about something else. */
export function subscriptionError(frame) {
  const named = Array.isArray(frame.topics) ? new Set(frame.topics) : null;
  const asked = entriesFor(frame.ref);
  if (asked.length > 0) {
    if (frame.code === 'unavailable') {
      retryLater(frame.ref, frame.retry_after);
      return true;
    }
    // Nothing was granted; the error names the refused topics (a server before contract
    // section 10 names none: then all of them). Any the error leaves out are asked again.
    const unanswered = [];
    for (const [topic, entry] of asked) {
      if (!named || named.has(topic)) drop(topic, entry, frame);
      else unanswered.push(topic);
    }
    if (unanswered.length > 0) subscribe(unanswered);
    return true;
  }
  if (!frame.ref && named) {
    // The server ended subscriptions: we left a private room, or a renewed token is not staff's
    // and lost `orders`.
    for (const topic of named) {
      const entry = live.topics.get(topic);
      if (entry) drop(topic, entry, frame);
    }
    return true;
  }
  return false;
}

/**
 * `unavailable`: the server process has not seen our `since` yet (we come from one that is
 * ahead). Ask again after `retry_after` seconds, for the topics still waiting on that frame.
 */
function retryLater(ref, retryAfter) {
  const seconds = Number(retryAfter) > 0 ? Number(retryAfter) : 1;
  const timer = setTimeout(() => {
    retries.delete(timer);
    const waiting = entriesFor(ref).map(([topic]) => topic);
    if (waiting.length > 0 && live.socket && live.socket.readyState === WebSocket.OPEN) subscribe(waiting);
  }, seconds * 1000);
  retries.add(timer);
}
