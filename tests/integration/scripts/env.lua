--- redis.call error raised to the top
redis.call('set', 'env:str', 'abc')
return redis.call('incr', 'env:str')
--- redis.pcall error returned
return redis.pcall('incr', 'env:str')
--- pcall of redis.call gives the error text
local ok, e = pcall(redis.call, 'incr', 'env:str')
return {tostring(ok), type(e), e}
--- pcall inside a function
local ok, e = pcall(function() return redis.call('incr', 'env:str') end)
return {type(e), tostring(e)}
--- xpcall handler sees the error table
local ok, e = xpcall(function() return redis.call('incr', 'env:str') end, function(m) return m end)
return {type(e), e.err}
--- redis.pcall error table fields
local t = redis.pcall('incr', 'env:str')
local r = {}
for k, v in pairs(t) do r[#r + 1] = k .. '=' .. tostring(v) end
table.sort(r)
return r
--- unknown command
return redis.call('nosuch')
--- unknown command through pcall
return redis.pcall('nosuch', 'a')
--- wrong arity
return redis.call('get')
--- wrong arity pcall
return redis.pcall('incr', 'a', 'b')
--- no arguments
return redis.call()
--- redis.pcall with no arguments returns the error
return {pcall(redis.pcall)}
--- number as command name
return redis.call(1)
--- table argument
return redis.call('get', {})
--- nil argument
return redis.call('get', nil)
--- boolean argument
return redis.call('set', 'env:b', true)
--- float arguments are formatted with 17 digits
redis.call('set', 'env:f1', 1.5)
redis.call('set', 'env:f2', 1e20)
redis.call('set', 'env:f3', 0.1)
redis.call('set', 'env:f4', -7)
redis.call('set', 'env:f5', 2^53)
return redis.call('mget', 'env:f1', 'env:f2', 'env:f3', 'env:f4', 'env:f5')
--- error() with a string
error('boom')
--- error() at level 0
error('lvl0', 0)
--- error() with a number
error(5)
--- error() without a value
error()
--- error() with a boolean
error(true)
--- error() with an error table
error({err = 'My Error'})
--- error() with an error table and a code
error({err = 'MYCODE custom text'})
--- error() with a numeric err field
error({err = 5})
--- error with a code word in a string
error('MYCODE custom')
--- error with a leading dash
error('-ERR custom', 0)
--- empty error string
error('', 0)
--- runtime error in a nested function keeps its line
local function f()
  local x = nil
  return x.y
end
return f()
--- redis.call error in a nested function
local function f()
  return redis.call('incr', 'env:str')
end

return f()
--- error table raised in a nested function
local function f()
  error({err = 'E1'})
end

return f()
--- error from a C function
return string.rep()
--- error from loadstring'ed code
loadstring('error("inner")')()
--- error on line three
local a = 1
local b = 2
return redis.call('incr', 'env:str')
--- pcall of error with a table keeps non-err tables
local ok, e = pcall(error, {1, 2})
return type(e)
--- pcall of error with err table gives err
local ok, e = pcall(error, {err = 'x'})
return e
--- pcall of error with numeric err
local ok, e = pcall(error, {err = 5})
return type(e)
--- metamethod raising an error table
local ok, e = pcall(function()
  local t = setmetatable({}, {__index = function() error({err = 'deep'}) end})
  return t.x
end)
return e
--- returned err table
return {err = 'My Error'}
--- returned err table with ERR
return {err = 'ERR x'}
--- returned empty err
return {err = ''}
--- newlines in errors become spaces
return {err = 'x\ny'}
--- newlines in status
return {ok = 'x\r\ny'}
--- err must be a string
return {err = 1}
--- ok must be a string
return {ok = 1}
--- status reply
return {ok = 'fine'}
--- empty status
return redis.status_reply('')
--- error_reply adds ERR to one word
return redis.error_reply('xx')
--- error_reply with a code
return redis.error_reply('-xx yy')
--- error_reply with ERR already
return redis.error_reply('ERR x')
--- error_reply two words
return redis.error_reply('hello world')
--- error_reply dash one word
return redis.error_reply('-hello')
--- error_reply empty
return redis.error_reply('')
--- error_reply wrong type
return redis.error_reply(5)
--- error_reply no argument
return redis.error_reply()
--- status_reply wrong type
return redis.status_reply(5)
--- floats truncate
return 3.99
--- negative floats truncate toward zero
return -3.99
--- huge and special numbers
return {1.9, -1.9, 1e30, 0/0, 1/0, -1/0}
--- arrays stop at the first nil
return {1, 2, 3, 'x', nil, 4}
--- booleans in arrays
return {true, false, 'a'}
--- nested tables
return {{1, {2}}, {}}
--- true
return true
--- false
return false
--- nil
return nil
--- nothing
local x = 1
--- double in RESP2
return {double = 3.5}
--- map in RESP2
return {map = {a = 1}}
--- set in RESP2
return {set = {a = true}}
--- big number in RESP2
return {big_number = '123456789012345678901234567890'}
--- tables mixing array and hash parts
return {1, 2, a = 3}
--- strings with binary bytes
return 'a\0b\255'
--- integers
return {0, -1, 9007199254740992, 2^63, -2^63}
--- setresp 3 null becomes nil
redis.setresp(3)
return type(redis.call('get', 'env:missing'))
--- setresp 2 null becomes false
return type(redis.call('get', 'env:missing'))
--- setresp 3 map reply
redis.call('del', 'env:h')
redis.call('hset', 'env:h', 'a', '1')
redis.setresp(3)
local t = redis.call('hgetall', 'env:h')
return {t.map.a}
--- setresp 3 map to a RESP2 client
redis.setresp(3)
return redis.call('hgetall', 'env:h')
--- setresp 3 double
redis.call('del', 'env:z')
redis.call('zadd', 'env:z', '1.5', 'm')
redis.setresp(3)
local t = redis.call('zscore', 'env:z', 'm')
return {type(t), tostring(t.double)}
--- setresp 3 set reply
redis.call('del', 'env:s')
redis.call('sadd', 'env:s', 'x')
redis.setresp(3)
local t = redis.call('smembers', 'env:s')
return {type(t.set), tostring(t.set.x)}
--- setresp 3 booleans are replied as integers to RESP2
redis.setresp(3)
return {true, false}
--- setresp invalid
return redis.setresp(4)
--- setresp without argument
return redis.setresp()
--- status from redis.call
return redis.call('set', 'env:k', 'v')
--- status table from redis.call
local t = redis.call('set', 'env:k', 'v')
return t.ok
--- nil bulk is false
return {redis.call('get', 'env:missing') == false}
--- global write refused
x = 1
--- global function refused
function f() end
--- nonexistent global
return a
--- os is absent
return type(os)
--- print is absent
return type(print)
--- setfenv is absent
return type(setfenv)
--- debug is absent
return type(debug)
--- library table write
string.x = 1
--- redis table write
redis.call = nil
--- math write
math.pi = 3
--- rawset on _G
rawset(_G, 'x', 1)
--- setmetatable on _G
setmetatable(_G, {})
--- table.insert into a library
table.insert(string, 'x')
--- KEYS rebinding refused
KEYS = 1
--- KEYS contents may change
KEYS[1] = 'x'
return KEYS[1]
--- table.insert into KEYS
table.insert(KEYS, 'a')
return KEYS
--- local functions work
local function f() return 7 end
return f()
--- loadstring works
return loadstring('return 1+1')()
--- loadstring refuses bytecode
return loadstring(string.dump(function() return 1 end))
--- loadstring syntax error
local f, e = loadstring('x y')
return e
--- load takes a function only
return load('return 5')()
--- string methods
return ('abc'):upper()
--- string metatable is read-only
getmetatable('').__index.upper = nil
--- globals listing
local r = {}
for k, v in pairs(_G) do r[#r + 1] = k end
table.sort(r)
return r
--- redis listing
local r = {}
for k, v in pairs(redis) do r[#r + 1] = k end
table.sort(r)
return r
--- string listing
local r = {}
for k, v in pairs(string) do r[#r + 1] = k end
table.sort(r)
return r
--- math listing
local r = {}
for k, v in pairs(math) do r[#r + 1] = k end
table.sort(r)
return r
--- table listing
local r = {}
for k, v in pairs(table) do r[#r + 1] = k end
table.sort(r)
return r
--- rawget on _G
return {rawget(_G, 'redis') ~= nil, tostring(rawget(_G, 'nonexistent'))}
--- next on _G
return next(_G) ~= nil
--- missing library field is nil
return string.foo == nil
--- _VERSION
return _VERSION
--- coroutines
return coroutine.wrap(function() coroutine.yield(3) end)()
--- gcinfo
return gcinfo() > 0
--- redis.sha1hex
return {redis.sha1hex(''), redis.sha1hex('abc'), redis.sha1hex(5)}
--- redis.sha1hex without argument
return redis.sha1hex()
--- redis.log levels
redis.log(redis.LOG_WARNING, 'from a script', 1, 2)
return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}
--- redis.log bad level
return redis.log(9, 'hello')
--- redis.log one argument
return redis.log(1)
--- redis.set_repl without argument
return redis.set_repl()
--- redis.set_repl invalid
return redis.set_repl(99)
--- redis.set_repl valid
return redis.set_repl(redis.REPL_ALL)
--- replication constants
return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}
--- replicate_commands
return redis.replicate_commands()
--- breakpoint and debug
return {redis.breakpoint(), redis.debug('x')}
--- acl_check_cmd
return redis.acl_check_cmd('get', 'x')
--- acl_check_cmd unknown
return redis.acl_check_cmd('nosuch')
--- math.random ranges
for i = 1, 200 do
  local a, b, c = math.random(), math.random(6), math.random(-3, 3)
  if a < 0 or a >= 1 or b < 1 or b > 6 or c < -3 or c > 3 then return 0 end
end
return 1
--- math.random empty interval
return math.random(0)
--- subscribe not allowed
return redis.call('subscribe', 'a')
--- eval not allowed
return redis.call('eval', 'return 1', '0')
--- blocking commands not allowed
return redis.call('blpop', 'env:nolist', '0')
--- client not allowed
return redis.call('client', 'id')
--- config not allowed
return redis.call('config', 'get', 'hz')
--- multi not allowed
return redis.call('multi')
--- script not allowed
return redis.call('script', 'load', 'return 1')
--- select inside a script
redis.call('select', '3')
redis.call('set', 'env:db3', '1')
return redis.call('exists', 'env:db3')
--- select does not leak to the caller
return redis.call('exists', 'env:db3')
--- select out of range
return redis.call('select', '99')
--- ping echo time
local t = redis.call('time')
return {redis.call('ping'), redis.call('ping', 'x'), redis.call('echo', 'e'), #t}
--- keyspace-wide commands
redis.call('select', '5')
redis.call('flushdb')
redis.call('mset', 'a', '1', 'b', '2', 'c', '3')
local k = redis.call('keys', '*')
table.sort(k)
return {redis.call('dbsize'), k}
--- publish
return redis.call('publish', 'env:channel', 'hello')
--- syntax error in a nested string
return loadstring('return +')
--- deep recursion fails cleanly
local function f(n) return f(n + 1) + 1 end
return f(1)
--- pcall of a function returning many values
local t = {} for i = 1, 100 do t[i] = i end
return select('#', pcall(unpack, t))
--- library tables are read-only
cmsgpack.x = 1
--- bit is read-only
bit.band = nil
--- struct is read-only
struct.x = 1
--- cjson is read-only
cjson.x = 1
