// Chat: the state of the open room, shared by the modules that show it (chat, message list,
// typing and presence, outbox, composer).

export const chat = {
  rooms: [],             // GET /v1/rooms entries; `member` says whether we may post in one
  roomsFloor: 0,         // the newest membership event we know of: no room list older than it is shown
  current: null,         // the open room's id
  generation: 0,         // bumped on every room switch, so late answers for another room are dropped
  nextBefore: null,      // event id for "load older", null when the beginning is loaded
  loadingOlder: false,
  messageIds: new Set(), // message ids shown, to drop a message that comes twice
  typing: new Set(),
  presence: new Set(),
  caughtUp: false,
};

export const roomTopic = (room) => `room:${room}`;

/** The room list's entry for the open room; undefined until the list has it. */
export const openRoomEntry = () => chat.rooms.find((room) => room.room_id === chat.current);

/**
 * Whether we are a member of the open room: true, false (a public room we only read; posting
 * needs membership), or null while the room list does not have it yet.
 */
export function openRoomMembership() {
  const room = openRoomEntry();
  return room ? Boolean(room.member) : null;
}
