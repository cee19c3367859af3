-- scripts/bench-wrk-post.lua: wrk posts chat messages to Tideline, for scenario 1 of scripts/bench.
--
--   BENCH_TOKEN=JWT wrk -t 2 -c 32 -d 10s --latency -s scripts/bench-wrk-post.lua URL -- ROOM...
--
-- The rooms are split between wrk's threads, and each thread goes round its own rooms, so with one
-- room per connection each connection posts to a room of its own most of the time (wrk has no
-- per-connection hook). Each post carries a client_msg_id of its own, as a real client's does.
-- The token's user must be a member of every room.

local token = os.getenv("BENCH_TOKEN")
local threads = 0
local body_text = "a benchmark message of about sixty characters, like a chat line"

function setup(thread)
  thread:set("index", threads)
  threads = threads + 1
end

local mine = {}
local sent = 0
local prefix

-- `index` is this thread's number, set by setup(); BENCH_THREADS says how many there are.
function init(args)
  local total = tonumber(os.getenv("BENCH_THREADS") or "1")
  for i, room in ipairs(args) do
    if (i - 1) % total == index then mine[#mine + 1] = room end
  end
  if #mine == 0 then mine[1] = args[(index % #args) + 1] end
  -- Unique across threads and runs: a repeated client_msg_id would be answered, not appended.
  math.randomseed(os.time() + index * 7919)
  prefix = "w" .. index .. "-" .. os.time() .. "-" .. math.random(1, 1000000000) .. "-"
end

function request()
  sent = sent + 1
  local room = mine[(sent % #mine) + 1]
  local body = '{"text":"' .. body_text .. '","client_msg_id":"' .. prefix .. sent .. '"}'
  return wrk.format("POST", "/v1/rooms/" .. room .. "/messages",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end
