/**
 * The atomic commit of a write. The caller read the item and its version, ran `decide`, and sends
 * the outcome; the script commits only if the version is still the one it read (compare-and-set)
 * and the mutationId is still unseen, so item, version, seq, change log and remembered mutation
 * change together. The log entry ID is `<seq>-0`, so the stream is addressable by seq.
 *
 * Remembered mutations are bounded twice: each expires after the TTL, and the collection keeps the
 * newest `mutation retention` of them (a list of their keys, oldest deleted), as the other stores do.
 *
 * KEYS: 1 seqs hash, 2 items hash, 3 versions hash, 4 log stream, 5 mutation hash,
 *       6 the collection's list of mutation keys, newest first
 * ARGV: 1 collection, 2 id, 3 version read, 4 new version, 5 mode (put|delete|none|refuse),
 *       6 item JSON (put), 7 change JSON (without seq), 8 result JSON, 9 remembered item JSON,
 *       10 change retention, 11 mutation TTL seconds, 12 channel, 13 mutation retention,
 *       14 the refusal (wire error JSON) for mode refuse, else ''
 * A refusal is remembered like a no-op, on the version it was judged against (compare-and-set), so
 * the first decision about a mutationId is its answer to every later attempt.
 * Returns {'dup', result, item, seq, version, refusal} | {'retry'} | {'ok', seq}
 */
export const WRITE_SCRIPT = `
local function remember(seq, version)
  redis.call('HSET', KEYS[5], 'r', ARGV[8], 'i', ARGV[9], 's', seq, 'v', version, 'e', ARGV[14])
  redis.call('EXPIRE', KEYS[5], ARGV[11])
  redis.call('LPUSH', KEYS[6], KEYS[5])
  if redis.call('LLEN', KEYS[6]) > tonumber(ARGV[13]) then
    redis.call('DEL', redis.call('RPOP', KEYS[6]))
  end
end
if redis.call('EXISTS', KEYS[5]) == 1 then
  local m = redis.call('HMGET', KEYS[5], 'r', 'i', 's', 'v', 'e')
  return {'dup', m[1], m[2], m[3], m[4], m[5] or ''}
end
local cur = redis.call('HGET', KEYS[3], ARGV[2]) or '0'
if cur ~= ARGV[3] then return {'retry'} end
if ARGV[5] == 'none' or ARGV[5] == 'refuse' then
  local head = redis.call('HGET', KEYS[1], ARGV[1]) or '0'
  remember(head, ARGV[3])
  return {'ok', head}
end
local seq = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
if ARGV[5] == 'put' then
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[6])
else
  redis.call('HDEL', KEYS[2], ARGV[2])
end
redis.call('XADD', KEYS[4], seq .. '-0', 'c', ARGV[7])
local keep = tonumber(ARGV[10])
if seq > keep then redis.call('XTRIM', KEYS[4], 'MINID', (seq - keep + 1) .. '-0') end
remember(seq, ARGV[4])
redis.call('PUBLISH', ARGV[12], seq .. ':' .. ARGV[1])
return {'ok', tostring(seq)}
`
