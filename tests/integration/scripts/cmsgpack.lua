--- pack positive integers in every width
return cmsgpack.pack(0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, 2^53)
--- pack negative integers in every width
return cmsgpack.pack(-1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649, -2^53)
--- pack 64-bit limits: -2^63 is an integer, 2^63 a float
return cmsgpack.pack(-2^63, 2^63, 2^64, -2^63 - 4096, 1e19, -1e19)
--- pack floats: float 32 when exact, else float 64
return cmsgpack.pack(1.5, 0.1, 0.5, -2.25, 1e-300, 3.4028234663852886e38, 1e39, 1/3)
--- pack infinities, NaN and negative zero
return cmsgpack.pack(1/0, -1/0, 0/0, -0.0)
--- pack nil and booleans
return cmsgpack.pack(nil, true, false)
--- pack functions and coroutines as nil
return cmsgpack.pack(tostring, coroutine.create(function() end), cmsgpack.pack)
--- pack strings at every header boundary
local out = {}
for _, n in ipairs({0, 1, 31, 32, 255, 256, 65535, 65536}) do
  local p = cmsgpack.pack(string.rep('x', n))
  out[#out + 1] = string.sub(p, 1, 6)
  out[#out + 1] = #p
end
return out
--- pack binary strings unchanged
return cmsgpack.pack('\0\1\2\255', 'caf\195\169')
--- pack empty table as empty array
return cmsgpack.pack({})
--- pack small arrays
return cmsgpack.pack({1, 2, 3}, {'a', {true, false}}, {{}, {{}}})
--- pack array header boundaries
local out = {}
for _, n in ipairs({15, 16, 65535, 65536}) do
  local t = {}
  for i = 1, n do t[i] = 0 end
  local p = cmsgpack.pack(t)
  out[#out + 1] = string.sub(p, 1, 5)
  out[#out + 1] = #p
end
return out
--- pack map header boundaries
local out = {}
for _, n in ipairs({15, 16, 65536}) do
  local t = {}
  for i = 1, n do t['k' .. i] = 0 end
  local p = cmsgpack.pack(t)
  out[#out + 1] = string.sub(p, 1, 5)
  out[#out + 1] = #p
end
return out
--- pack table with a hole becomes a map
return cmsgpack.pack({1, 2, nil, 4})
--- pack tables with zero, negative, fractional and boolean keys
return cmsgpack.pack({[0] = 1}, {[-1] = 1}, {[1.5] = 1}, {[true] = 1})
--- pack keys at and past 2^31 make a map
return cmsgpack.pack({[2^31] = 1, [1] = 2}, {[1] = 2, [2^40] = 1})
--- pack mixed array and hash parts
return cmsgpack.pack({10, 20, 30, x = 'y'})
--- pack nested structures
return cmsgpack.pack({x = {1, {y = 2}}, list = {'a', 'b'}})
--- pack map in next order for string keys
local t = {}
for i = 1, 40 do t['key' .. i] = i end
return cmsgpack.pack(t)
--- pack ignores __index and __len
return cmsgpack.pack(setmetatable({}, {__index = function() return 1 end}),
  setmetatable({1, 2}, {__len = function() return 5 end}))
--- pack cuts an array cycle at sixteen levels
local t = {}
t[1] = t
return cmsgpack.pack(t)
--- pack cuts a map cycle at sixteen levels
local t = {}
t.a = t
return cmsgpack.pack(t)
--- pack cuts deep nesting at sixteen levels
local t = {}
local c = t
for i = 1, 20 do c[1] = {} c = c[1] end
return cmsgpack.pack(t)
--- pack with no arguments
return cmsgpack.pack()
--- pack with no arguments through pcall
return {pcall(cmsgpack.pack)}
--- pack with too many arguments
local t = {}
for i = 1, 4001 do t[i] = i end
return {pcall(cmsgpack.pack, unpack(t))}
--- pack at the argument limit
local t = {}
for i = 1, 4000 do t[i] = i % 100 end
return #cmsgpack.pack(unpack(t))
--- pack stack overflow inside tables near the argument limit
local t = {}
for i = 1, 3998 do t[i] = 1 end
local r = {}
t[3999] = {{1}}
r[1] = select(2, pcall(cmsgpack.pack, unpack(t)))
t[3999] = {a = {1}}
r[2] = select(2, pcall(cmsgpack.pack, unpack(t)))
t[3999] = nil
t[3998] = {a = {1}}
r[3] = #cmsgpack.pack(unpack(t))
return r
--- unpack every integer encoding
return {cmsgpack.unpack('\0\127\224\255\204\200\205\255\0\206\255\255\255\255\208\128\209\128\0\210\128\0\0\0')}
--- unpack 64-bit integers
return {tostring(cmsgpack.unpack('\207\255\255\255\255\255\255\255\255')),
  tostring(cmsgpack.unpack('\207\0\0\0\1\0\0\0\1')),
  tostring(cmsgpack.unpack('\207\128\0\0\0\0\0\0\1')),
  tostring(cmsgpack.unpack('\211\128\0\0\0\0\0\0\0')),
  tostring(cmsgpack.unpack('\211\255\255\255\255\255\255\255\254'))}
--- unpack floats
return {tostring(cmsgpack.unpack('\202\63\192\0\0')), tostring(cmsgpack.unpack('\203\63\185\153\153\153\153\153\154')),
  tostring(cmsgpack.unpack('\202\127\128\0\0')), tostring(cmsgpack.unpack('\202\255\255\255\255')),
  tostring(cmsgpack.unpack('\203\255\248\0\0\0\0\0\0'))}
--- unpack nil and booleans
return {cmsgpack.unpack('\195\194\192\195')}
--- unpack strings of every header
return {cmsgpack.unpack('\160\163abc\217\3def\218\0\2gh\219\0\0\0\1i')}
--- unpack arrays of every header
local a, b, c = cmsgpack.unpack('\146\1\2\220\0\1\3\221\0\0\0\2\4\5')
return {a, b, c}
--- unpack maps of every header
local a, b, c = cmsgpack.unpack('\129\161k\1\222\0\1\161k\2\223\0\0\0\1\161k\3')
return {a.k, b.k, c.k}
--- unpack arrays with nil holes
local t = cmsgpack.unpack('\148\1\192\3\192')
return {t[1], tostring(t[2]), t[3], tostring(t[4]), #t}
--- unpack nested containers
local t = cmsgpack.unpack(cmsgpack.pack({a = {1, {b = 'c'}}, d = {}}))
return {t.a[1], t.a[2].b, #t.d}
--- unpack a stream of values
return {cmsgpack.unpack(cmsgpack.pack(1, 'two', {3}, nil, false))}
--- unpack empty input
return {cmsgpack.unpack('')}
--- unpack coerces a number argument
return {cmsgpack.unpack(12)}
--- unpack ignores extra arguments
return {cmsgpack.unpack('\147\1\2\3', 'extra', 'args')}
--- unpack without argument
return {pcall(cmsgpack.unpack)}
--- unpack of a table
return {pcall(cmsgpack.unpack, {})}
--- unpack the reserved byte
return {pcall(cmsgpack.unpack, '\193')}
--- unpack bin 8 is not supported
return {pcall(cmsgpack.unpack, '\196\1a')}
--- unpack ext types are not supported
return {pcall(cmsgpack.unpack, '\212\1\2'), pcall(cmsgpack.unpack, '\199\1\2\3')}
--- unpack bad format inside an array
return {pcall(cmsgpack.unpack, '\145\193')}
--- unpack bad format after good values
return {pcall(cmsgpack.unpack, '\1\2\193')}
--- unpack truncated numbers
local r = {}
for _, s in ipairs({'\204', '\205\1', '\206\1\2\3', '\207\1\2\3\4\5\6\7', '\202\1', '\203\1\2'}) do
  r[#r + 1] = select(2, pcall(cmsgpack.unpack, s))
end
return r
--- unpack truncated strings
local r = {}
for _, s in ipairs({'\163ab', '\217', '\217\3ab', '\218\0', '\218\0\3ab', '\219\0\0\0\3ab'}) do
  r[#r + 1] = select(2, pcall(cmsgpack.unpack, s))
end
return r
--- unpack truncated containers
local r = {}
for _, s in ipairs({'\145', '\220\0', '\220\0\2\1', '\129\1', '\222\0\1\1', '\221\0\0'}) do
  r[#r + 1] = select(2, pcall(cmsgpack.unpack, s))
end
return r
--- unpack declared 4 GB array, map and string
return {select(2, pcall(cmsgpack.unpack, '\221\255\255\255\255\1')),
  select(2, pcall(cmsgpack.unpack, '\223\255\255\255\255\1')),
  select(2, pcall(cmsgpack.unpack, '\219\255\255\255\255\1'))}
--- unpack error raised to the script
return cmsgpack.unpack('\205\1')
--- unpack error raised from inside a function
return {pcall(function() return cmsgpack.unpack('\196') end)}
--- unpack map with a nil key
return {pcall(cmsgpack.unpack, '\129\192\1')}
--- unpack map with a NaN key
return {pcall(cmsgpack.unpack, '\129\203\255\248\0\0\0\0\0\0\1')}
--- unpack deeply nested arrays
return {pcall(cmsgpack.unpack, string.rep('\145', 10000))}
--- unpack nesting limit for arrays and maps
local function depth(unit)
  local lo = 0
  for n = 3995, 4002 do
    if pcall(function() return select('#', cmsgpack.unpack(string.rep(unit, n) .. '\1')) end) then lo = n end
  end
  return lo
end
return {depth('\145'), depth('\129\1')}
--- unpack deeply nested maps in key position
return {pcall(cmsgpack.unpack, string.rep('\129', 10000)), pcall(cmsgpack.unpack, string.rep('\129', 7999))}
--- unpack too many values at once
return {pcall(cmsgpack.unpack, string.rep('\1', 10000))}
--- unpack value count limit
local lo = 0
for n = 7995, 8002 do
  if pcall(function() return select('#', cmsgpack.unpack(string.rep('\1', n))) end) then lo = n end
end
return lo
--- unpack errors after filling the stack
return {select(2, pcall(cmsgpack.unpack, string.rep('\1', 7998) .. '\193')),
  select(2, pcall(cmsgpack.unpack, string.rep('\1', 7998) .. '\205')),
  select(2, pcall(cmsgpack.unpack, string.rep('\1', 7998) .. '\129\192\1')),
  select(2, pcall(cmsgpack.unpack, string.rep('\1', 7990) .. '\129\192\1'))}
--- unpack a map whose keys are containers
local t = cmsgpack.unpack('\130\145\1\161a\129\161k\2\161b')
local r = {}
for k, v in pairs(t) do r[#r + 1] = type(k) .. ':' .. v end
table.sort(r)
return r
--- unpack_one walks a stream
local s = cmsgpack.pack(1, 'b', {3})
local r = {}
local off, v = cmsgpack.unpack_one(s)
r[#r + 1] = off
r[#r + 1] = v
off, v = cmsgpack.unpack_one(s, off)
r[#r + 1] = off
r[#r + 1] = v
off, v = cmsgpack.unpack_one(s, off)
r[#r + 1] = off
r[#r + 1] = v[1]
return r
--- unpack_one at the end and past it
return {{cmsgpack.unpack_one('\1\2\3', 3)}, {pcall(cmsgpack.unpack_one, '\1\2\3', 4)}}
--- unpack_one offset conversions
return {{cmsgpack.unpack_one('\1\2\3', '1')}, {cmsgpack.unpack_one('\1\2\3', 1.9)}, {cmsgpack.unpack_one('\1\2', nil)}}
--- unpack_one negative and 64-bit offsets
return {select(2, pcall(cmsgpack.unpack_one, '\1\2\3', -1)), select(2, pcall(cmsgpack.unpack_one, '\1\2', -2^32)),
  select(2, pcall(cmsgpack.unpack_one, '\1\2', 2^32)), select(2, pcall(cmsgpack.unpack_one, '\1\2', 2^32 + 1))}
--- unpack_one bad offset argument
return {pcall(cmsgpack.unpack_one, '\1', 'x')}
--- unpack_limit counts and offsets
return {{cmsgpack.unpack_limit('\1\2\3', 2)}, {cmsgpack.unpack_limit('\1\2\3', 0)},
  {cmsgpack.unpack_limit('\1\2\3', 0, 1)}, {cmsgpack.unpack_limit('\1\2\3', 5, 1)}}
--- unpack_limit 64-bit limits
return {{cmsgpack.unpack_limit('\1\2', 2^32)}, {cmsgpack.unpack_limit('\1\2', 2^32 + 1)}, {cmsgpack.unpack_limit('\1\2', 2^32, 1)}}
--- unpack_limit negative limits
return {select(2, pcall(cmsgpack.unpack_limit, '\1\2\3', -1)), select(2, pcall(cmsgpack.unpack_limit, '\1\2', 1e300)),
  select(2, pcall(cmsgpack.unpack_limit, '\1\2', -2^32))}
--- unpack_limit missing and bad limit
return {select(2, pcall(cmsgpack.unpack_limit, '\1')), select(2, pcall(cmsgpack.unpack_limit, '\1', {}))}
--- unpack_limit stack overflow when pushing the offset
return {pcall(cmsgpack.unpack_limit, string.rep('\1', 7999), 9000)}
--- round trip keeps values
local v = {1, -2, 3.5, 'four', {5, {6}}, true, false}
local t = cmsgpack.unpack(cmsgpack.pack(v))
return {t[1], t[2], tostring(t[3]), t[4], t[5][1], t[5][2][1], t[6], tostring(t[7])}
--- repacking a decoded map keeps Redis's table order
local t = {}
for i = 1, 40 do t['key' .. i] = i end
return cmsgpack.pack(cmsgpack.unpack(cmsgpack.pack(t)))
--- library fields
return {cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT, cmsgpack._DESCRIPTION}
--- library contents in pairs order
local t = {}
for k, v in pairs(cmsgpack) do t[#t + 1] = k .. ':' .. type(v) end
return t
