// The Lua scripts that make a read-then-write atomic in Redis. Each runs as one step on
// the server, so two nodes can never both see a room as free, and a node can never
// extend or delete a lease that another node took in between.

/** KEYS[1] lease; ARGV nodeId, ttlMs. Takes a free lease or refreshes our own; returns the owner. */
export const ACQUIRE_LEASE = `
local owner = redis.call('GET', KEYS[1])
if not owner then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ARGV[1]
end
if owner == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return owner
`;

/** KEYS[1] lease; ARGV nodeId, ttlMs. Extends the lease only if we hold it; returns 1 or 0. */
export const RENEW_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/** KEYS[1] lease; ARGV nodeId. Deletes the lease only if we hold it. */
export const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** KEYS[1] nodes hash, KEYS[2] the node's alive key; ARGV nodeId. Prunes the entry unless the node came back. */
export const PRUNE_DEAD_NODE = `
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
`;

// Roster entries expire one by one (a crashed node's participants vanish even while
// other nodes keep the room alive), which a hash cannot do by itself before Redis 7.4.
// So each field holds {"expiresAt": <server ms>, "entry": <RosterEntry JSON>}, judged
// against the server's clock (no skew between nodes), and the key's own TTL covers the
// longest-lived entry so an abandoned roster disappears entirely.
const SERVER_NOW_MS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** KEYS[1] roster; ARGV participantId, RosterEntry JSON, ttlMs. */
export const PUT_ROSTER_ENTRY = `${SERVER_NOW_MS}
local ttl = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], '{"expiresAt":' .. string.format('%.0f', now + ttl) .. ',"entry":' .. ARGV[2] .. '}')
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`;

/** KEYS[1] roster. Returns the live fields' values and deletes the expired ones. */
export const LIST_ROSTER = `${SERVER_NOW_MS}
local all = redis.call('HGETALL', KEYS[1])
local live = {}
for i = 1, #all, 2 do
  local ok, field = pcall(cjson.decode, all[i + 1])
  if ok and type(field) == 'table' and tonumber(field.expiresAt) and tonumber(field.expiresAt) > now then
    live[#live + 1] = all[i + 1]
  else
    redis.call('HDEL', KEYS[1], all[i])
  end
end
return live
`;

/** A roster hash field's value as PUT_ROSTER_ENTRY writes it. */
export interface StoredRosterField<Entry> {
  expiresAt: number;
  entry: Entry;
}
