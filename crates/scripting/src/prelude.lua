-- Ferrite's Lua-side script environment (see vm.rs). Runs once per VM with
-- the real global table and three helpers written in Rust; returns the
-- runner and the proxy that becomes the scripts' global table.
local G, errstr, where, readonly_error = ...

local type, tostring, error, select = type, tostring, error, select
local rawget, rawset, next, pairs = rawget, rawset, next, pairs
local setmetatable, getmetatable = setmetatable, getmetatable
local lua_pcall, lua_xpcall, lua_loadstring = pcall, xpcall, loadstring
local tinsert, tremove, tsort, tsetn = table.insert, table.remove, table.sort, table.setn
local byte = string.byte

-- Proxies: each read-only table is seen through an empty table that reads
-- from the real one and refuses writes. `real[proxy]` finds it back.
local real = setmetatable({}, { __mode = "k" })

local function refuse()
  error("Attempt to modify a readonly table", 2)
end

local function proxy(t)
  local p = setmetatable({}, { __index = t, __newindex = refuse })
  real[p] = t
  return p
end

local redis = G.redis

-- Redis's pcall gives a script the text of an error table's `err`.
local function pcall_result(ok, ...)
  if ok then
    return true, ...
  end
  local e = ...
  local t = type(e)
  if t == "table" and e.err ~= nil then
    return false, e.err
  elseif t == "userdata" then
    return false, errstr(e)
  end
  return false, ...
end

G.pcall = function(f, ...)
  return pcall_result(lua_pcall(f, ...))
end

G.xpcall = function(f, handler)
  return lua_xpcall(f, function(e)
    if type(e) == "userdata" then
      e = errstr(e)
    end
    return handler(e)
  end)
end

-- Bytecode is refused (Redis 7): loadstring gives nil for it.
G.loadstring = function(s, name)
  if type(s) == "string" and byte(s, 1) == 27 then
    return nil
  end
  return lua_loadstring(s, name)
end

G.pairs = function(t)
  local r = real[t]
  if r then
    return next, r, nil
  end
  return pairs(t)
end

G.next = function(t, k)
  return next(real[t] or t, k)
end

G.rawget = function(t, k)
  return rawget(real[t] or t, k)
end

G.rawset = function(t, k, v)
  if real[t] or t == G then
    readonly_error()
  end
  return rawset(t, k, v)
end

G.setmetatable = function(t, mt)
  if real[t] or t == G then
    readonly_error()
  end
  return setmetatable(t, mt)
end

local function guard(f)
  return function(t, ...)
    if real[t] then
      readonly_error()
    end
    return f(t, ...)
  end
end
table.insert = guard(tinsert)
table.remove = guard(tremove)
table.sort = guard(tsort)
table.setn = guard(tsetn)

-- The error handler of every script: an error table with the error's text
-- and the script line that raised it.
local function handler(e)
  local t = type(e)
  local msg
  if t == "table" then
    if e.err ~= nil then
      msg = e.err
    else
      msg = "ERR " .. tostring(e)
    end
  elseif t == "userdata" then
    msg = "ERR " .. errstr(e)
  else
    msg = "ERR " .. tostring(e)
  end
  local source, line = where()
  return { err = msg, source = source, line = line }
end
G.__redis__err__handler = handler

local function runner(f)
  return lua_xpcall(f, handler)
end


-- Library tables are read-only too; so is what string methods resolve to.
for _, name in ipairs({ "string", "table", "math", "coroutine", "redis", "cjson",
  "cmsgpack", "bit", "struct" }) do
  local lib = rawget(G, name)
  if type(lib) == "table" then
    rawset(G, name, proxy(lib))
  end
end
getmetatable("").__index = rawget(G, "string")

-- Globals: the proxy is what scripts see as _G; reading a missing global is
-- an error.
local pG = proxy(G)
rawset(G, "_G", pG)
setmetatable(G, {
  __index = function(_, k)
    error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
  end,
})

-- The environment of a function library's code while FUNCTION LOAD runs
-- it: only `redis` with register_function, log, the log levels and the
-- versions; anything else is a missing global, as in Redis.
local function strict()
  return {
    __index = function(_, k)
      error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
    end,
    __newindex = refuse,
  }
end

local function load_env(register)
  local r = {
    register_function = register,
    log = redis.log,
    LOG_DEBUG = redis.LOG_DEBUG,
    LOG_VERBOSE = redis.LOG_VERBOSE,
    LOG_NOTICE = redis.LOG_NOTICE,
    LOG_WARNING = redis.LOG_WARNING,
    REDIS_VERSION = redis.REDIS_VERSION,
    REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM,
  }
  local env = { redis = setmetatable(r, strict()) }
  return setmetatable(env, strict())
end

return runner, pG, load_env, handler
