--- module fields in pairs order
local t = {} for k, v in pairs(cjson) do t[#t+1] = k .. ':' .. type(v) end return t
--- module name, version and null
return {cjson._NAME, cjson._VERSION, tostring(cjson.null), type(cjson.null)}
--- option defaults of the global instance
local a, b, c = cjson.encode_sparse_array()
return {tostring(a), b, c, cjson.encode_max_depth(), cjson.decode_max_depth(), cjson.encode_number_precision(), tostring(cjson.encode_keep_buffer()), tostring(cjson.encode_invalid_numbers()), tostring(cjson.decode_invalid_numbers())}
--- cjson.new returns an independent instance with every field
local c = cjson.new() c.encode_max_depth(3)
local keys = {} for k in pairs(c) do keys[#keys+1] = k end table.sort(keys)
return {c.encode_max_depth(), cjson.encode_max_depth(), tostring(c.encode == cjson.encode), tostring(c.null == cjson.null), table.concat(keys, ',')}
--- encode array of integers
return cjson.encode({1, 2, 3})
--- encode nested mixed structure
return cjson.encode({1, 'a', {b = {}}, {{}, {{}}}, true, false})
--- encode empty table is an object
return cjson.encode({})
--- encode scalars
return {cjson.encode(true), cjson.encode(false), cjson.encode(nil), cjson.encode(cjson.null), cjson.encode(''), cjson.encode('x')}
--- encode number formatting at %.14g
return {cjson.encode(3), cjson.encode(-0), cjson.encode(0.1), cjson.encode(0.1 + 0.2), cjson.encode(1/3), cjson.encode(-1.5), cjson.encode(1e-5), cjson.encode(1e-4), cjson.encode(1e300), cjson.encode(1e15), cjson.encode(100000000000000), cjson.encode(12345678901234), cjson.encode(123456789012345), cjson.encode(2^53), cjson.encode(5e-324)}
--- encode string escapes
return cjson.encode('a/b"c\\d\0\1\8\9\10\11\12\13\31\127\128\255')
--- encode keeps UTF-8 bytes as they are
return cjson.encode({'\240\159\152\128', '\195\169', '\255\254'})
--- encode sparse array inside the safe limit
return {cjson.encode({[1] = 1, [2] = 2, [4] = 4}), cjson.encode({[10] = 1}), cjson.encode({[1] = 'x', [3] = 'y'})}
--- encode excessively sparse array is an error
return cjson.encode({[1] = 1, [20] = 2})
--- encode excessively sparse array under pcall
return {pcall(cjson.encode, {[11] = 1})}
--- encode numeric keys become strings
return {cjson.encode({[0] = 1}), cjson.encode({[-1] = 1}), cjson.encode({[1.5] = 1}), cjson.encode({[-0.5] = 1}), cjson.encode({[1e20] = 1})}
--- encode mixed keys make an object
return cjson.encode({[1] = 1, a = 2})
--- encode object key order follows the table
local t = {} for i = 1, 20 do t['k' .. i] = i end return cjson.encode(t)
--- encode keys past 2^31 overflow the array test
return {cjson.encode({[2^31] = 1}), cjson.encode({[2^32 + 5] = 1}), cjson.encode({[1] = 1, [2^31] = 2})}
--- encode boolean key is an error
return {pcall(cjson.encode, {[true] = 1})}
--- encode table key is an error
return cjson.encode({[{}] = 1})
--- encode function value is an error
return {pcall(cjson.encode, {tostring})}
--- encode function is an error
return cjson.encode(tostring)
--- encode coroutine is an error
local function E(f, ...) local ok, m = pcall(f, ...) return tostring(ok) .. ' ' .. tostring(m) end
return {E(cjson.encode, coroutine.create(function() end)), E(cjson.encode, {[coroutine.create(function() end)] = 1})}
--- encode NaN is an error
return cjson.encode(0/0)
--- encode infinite key is an error
return {pcall(cjson.encode, {[1/0] = 1})}
--- encode self reference hits the depth limit
local t = {} t[1] = t return {pcall(cjson.encode, t)}
--- encode nesting past 1000 is an error
local t = {} local c = t for i = 1, 1000 do c.a = {} c = c.a end return cjson.encode(t)
--- encode nesting of 1000 is fine
local t = {} local c = t for i = 1, 999 do c[1] = {} c = c[1] end return #cjson.encode(t)
--- encode ignores metatables
return {cjson.encode(setmetatable({}, {__index = function() return 1 end})), cjson.encode({setmetatable({}, {__len = function() return 3 end})})}
--- encode without argument
return cjson.encode()
--- encode with two arguments under pcall
return {pcall(cjson.encode, 1, 2)}
--- encode through a local names the local
local f = cjson.encode return f()
--- encode_invalid_numbers on
local c = cjson.new() local r = tostring(c.encode_invalid_numbers(true))
return {r, c.encode({1/0, -1/0, 0/0, -(0/0)}), c.encode({[1/0] = 1})}
--- encode_invalid_numbers null
local c = cjson.new() local r = c.encode_invalid_numbers('null')
return {r, c.encode({1/0, -1/0, 0/0, [4] = 5}), c.encode({[1/0] = 1})}
--- encode_number_precision 3
local c = cjson.new() c.encode_number_precision(3)
return c.encode({3.14159, 1234567, 0.0001234, 100, 1e-5, [6] = 123.456})
--- encode_number_precision 1 rounds ties to even
local c = cjson.new() c.encode_number_precision(1)
return c.encode({3.14159, 1234567, 0.5, 95, 0.95, 15, 25, 35})
--- encode_sparse_array convert
local c = cjson.new() local a, b, d = c.encode_sparse_array(true)
return {tostring(a), b, d, c.encode({[1] = 1, [20] = 2})}
--- encode_sparse_array ratio 0 allows any sparseness
local c = cjson.new() c.encode_sparse_array(false, 0)
return c.encode({[1] = 1, [20] = 2})
--- encode_sparse_array ratio 1 and safe 0
local function E(f, ...) local ok, m = pcall(f, ...) return tostring(ok) .. ' ' .. tostring(m) end
local c = cjson.new() c.encode_sparse_array(false, 1, 0)
return {c.encode({1, 2, 3}), E(c.encode, {[1] = 1, [3] = 2})}
--- encode_sparse_array ratio overflow wraps
local c = cjson.new() c.encode_sparse_array(false, 2147483647, 0)
return {pcall(c.encode, {[1] = 1, [3] = 2})}
--- encode_keep_buffer off and on
local c = cjson.new()
return {tostring(c.encode_keep_buffer(false)), c.encode({1}), tostring(c.encode_keep_buffer('on')), c.encode({2})}
--- decode array converts to a reply
return cjson.decode('[1,"a",[2,3],{"x":1},true,-7.9]')
--- decode and encode an object back
return cjson.encode(cjson.decode('{"10":1,"2":2,"x":3,"1":4,"y":{}}'))
--- decode object iterates in Redis order
local t = cjson.decode('{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10}')
local r = {} for k, v in pairs(t) do r[#r+1] = k .. '=' .. v end return r
--- decode null, booleans
local t = cjson.decode('[true, false, null]')
return {tostring(t[1]), tostring(t[2]), tostring(t[3] == cjson.null), #t, #cjson.decode('[1,null,3]')}
--- decode duplicate keys keep the last
return cjson.decode('{"a":1,"a":2}').a
--- decode unicode escapes
return {cjson.decode('"\\u0041\\u00e9\\u07FF\\u0800\\uFFFF"'), cjson.decode('"\\ud83d\\ude00"'), cjson.decode('"\\uDBFF\\uDFFF"'), cjson.decode('"a\\u0000b"')}
--- decode simple escapes
return cjson.decode('"\\/\\b\\f\\n\\r\\t\\"\\\\"')
--- decode passes control and high bytes through
return cjson.decode('"a\1b\127\255\254"')
--- decode invalid escape
return cjson.decode('{"a":"\\q"}')
--- decode lone high surrogate
local function E(f, ...) local ok, m = pcall(f, ...) return tostring(ok) .. ' ' .. tostring(m) end
return {E(cjson.decode, '"a\\ud800"'), E(cjson.decode, '"\\ud800\\u0041"'), E(cjson.decode, '["\\ud800"]')}
--- decode lone low surrogate and short escapes
local function E(f, ...) local ok, m = pcall(f, ...) return tostring(ok) .. ' ' .. tostring(m) end
return {E(cjson.decode, '"a\\udc00"'), E(cjson.decode, '"\\u12"'), E(cjson.decode, '"\\uzzzz"'), E(cjson.decode, '"\\U0041"')}
--- decode unterminated strings
local function E(f, ...) local ok, m = pcall(f, ...) return tostring(ok) .. ' ' .. tostring(m) end
return {E(cjson.decode, '"abc'), E(cjson.decode, '"a\0b"'), E(cjson.decode, '"abc\\')}
--- decode unterminated array
return cjson.decode('[')
--- decode structural errors
local r = {}
for _, s in ipairs({'', '  ', '{', '{"a"', '{"a":', '{"a":1', '{"a":1,', '{1:2}', '{"a" 1}', '{"a":1 "b"}', '{"a":1,}', '{,}', '{"a":}', '[1,]', '[1 2]', '[1,2', '[,]', ']', '}', ':', ','}) do
  local ok, e = pcall(cjson.decode, s) r[#r+1] = e
end
return r
--- decode trailing data
local function E(f, ...) local ok, m = pcall(f, ...) return tostring(ok) .. ' ' .. tostring(m) end
return {E(cjson.decode, '[1] x'), E(cjson.decode, '[1] ['), E(cjson.decode, '1x'), E(cjson.decode, 'nullx')}
--- decode literals
local function E(f, ...) local ok, m = pcall(f, ...) return tostring(ok) .. ' ' .. tostring(m) end
return {E(cjson.decode, 'tru'), E(cjson.decode, '[TRUE]'), E(cjson.decode, '[Null]'), E(cjson.decode, 'x')}
--- decode whitespace
local function E(f, ...) local ok, m = pcall(f, ...) return tostring(ok) .. ' ' .. tostring(m) end
return {cjson.decode(' \t\r\n 1 '), E(cjson.decode, '\f1'), E(cjson.decode, '\v1')}
--- decode numbers the way strtod reads them
local r = {}
for _, s in ipairs({'1e5', '1E+5', '01', '-01', '1.', '+1', '+.5', '-.5', '0x10', '0X1f', '-0x10', '0x1p4', '0x1.8', '0x.8', '1e400', '-1e-400', '-0', 'inf', '-inf', 'INF', 'Infinity', '-Infinity', 'nan', 'NaN', '-nan', 'nan(123)', '[Inf]'}) do
  local v = cjson.decode(s) if type(v) == 'table' then v = v[1] end r[#r+1] = s .. '=' .. tostring(v)
end
return r
--- decode numbers at full precision
local r = {}
for _, s in ipairs({'0.1', '2.2250738585072011e-308', '4.9e-324', '0x1.fffffffffffff8p0', '0x1.00000000000008p0', '0x1.00000000000008000001p0', '0x1.fffffffffffffp1023', '0x1.fffffffffffff8p1023', '0x0.00000000000008p-1022', '123456789012345678901234567890e-10', '9007199254740993'}) do
  r[#r+1] = string.format('%.17g', cjson.decode(s))
end
return r
--- decode bad numbers
local r = {}
for _, s in ipairs({'-', '[-]', '+', '+ 1', '- 1', '--1', '.5', '1e', '1.5e+', '1.5.5', '0x', '0xg', '0x1p+', 'infinit', 'nanx', '[i]', '[in]'}) do
  local ok, e = pcall(cjson.decode, s) r[#r+1] = e
end
return r
--- decode_invalid_numbers off
local c = cjson.new() local off = tostring(c.decode_invalid_numbers(false))
local r = {off}
for _, s in ipairs({'0x10', '01', '-01', '00', '0', '-0.5e3', 'inf', '-inf', 'nan', '+1', '-Infinity', '1.5x', '.5', '1.', '0e5', 'INF'}) do
  local ok, v = pcall(c.decode, s) r[#r+1] = s .. ' ' .. tostring(v)
end
return r
--- decode nesting of 1000 is fine
return type(cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000)))
--- decode nesting past 1000 is an error
return cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001))
--- decode nesting errors name the position
local function E(f, ...) local ok, m = pcall(f, ...) return tostring(ok) .. ' ' .. tostring(m) end
return {E(cjson.decode, '  ' .. string.rep('[', 1001)), E(cjson.decode, string.rep('{"a":', 1001) .. '1' .. string.rep('}', 1001))}
--- decode_max_depth 2
local function E(f, ...) local ok, m = pcall(f, ...) return tostring(ok) .. ' ' .. tostring(m) end
local c = cjson.new() c.decode_max_depth(2)
return {E(c.decode, '[[[]]]'), E(c.decode, '[{"a":[]}]'), #c.decode('[{"a":1}]')}
--- decode depth bounded by the Lua stack
local function E(f, ...) local ok, m = pcall(f, ...) return tostring(ok) .. ' ' .. tostring(m) end
local c = cjson.new() c.decode_max_depth(100000)
return {E(c.decode, string.rep('[', 9000)), E(c.decode, string.rep('{"":', 9000)), E(c.decode, string.rep('[{"":', 9000)), type(c.decode(string.rep('[', 7998) .. string.rep(']', 7998)))}
--- encode depth bounded by the Lua stack
local function E(f, ...) local ok, m = pcall(f, ...) return tostring(ok) .. ' ' .. tostring(m) end
local c = cjson.new() c.encode_max_depth(100000)
local a = {} local x = a for i = 1, 9000 do x[1] = {} x = x[1] end
local o = {} x = o for i = 1, 9000 do x.a = {} x = x.a end
local m = {} x = m for i = 1, 9000 do x.a = {{}} x = x.a[1] end
return {E(c.encode, a), E(c.encode, o), E(c.encode, m)}
--- decode UTF-16 input is refused
return cjson.decode('a\0')
--- decode UTF-16 detection and NUL handling
local function E(f, ...) local ok, m = pcall(f, ...) return tostring(ok) .. ' ' .. tostring(m) end
return {E(cjson.decode, '\0a'), E(cjson.decode, '\0'), #cjson.decode('[1]\0xx')}
--- decode a number argument
return {cjson.decode(123), tostring(cjson.decode(-0)), cjson.encode(cjson.decode(1e100)), cjson.encode(cjson.decode(0.5))}
--- decode a table argument
return cjson.decode({})
--- decode nil argument under pcall
return {pcall(cjson.decode, nil)}
--- decode without argument
return cjson.decode()
--- decode called as a method
return cjson:decode()
--- decode big array
local t = {} for i = 1, 10000 do t[i] = i * 3 end
local d = cjson.decode(cjson.encode(t))
return {#d, d[1], d[10000], d[5000]}
--- decode big object
local t = {} for i = 1, 1000 do t['key' .. i] = {i, 'v' .. i} end
local d = cjson.decode(cjson.encode(t))
local n = 0 for k, v in pairs(d) do n = n + v[1] end
return {n, d.key500[2]}
--- round trip of a nested document
local doc = '{"id":42,"name":"job \\u00e9","tags":["a","b",{"c":[1,2.5,-3e-7]}],"ok":true,"none":null,"empty":{},"list":[]}'
return cjson.encode(cjson.decode(doc))
--- option errors name the function
return cjson.encode_max_depth(0)
--- option range errors always name argument 1
local function E(f, ...) local ok, m = pcall(f, ...) return tostring(ok) .. ' ' .. tostring(m) end
return {E(cjson.encode_sparse_array, nil, -1), E(cjson.encode_sparse_array, nil, nil, -1), E(cjson.decode_max_depth, -5), E(cjson.encode_number_precision, 15), E(cjson.encode_number_precision, 0)}
--- option type errors
local function E(f, ...) local ok, m = pcall(f, ...) return tostring(ok) .. ' ' .. tostring(m) end
return {E(cjson.encode_max_depth, 'x'), E(cjson.encode_max_depth, {}), E(cjson.encode_max_depth, true), E(cjson.encode_sparse_array, nil, 'x'), E(cjson.encode_sparse_array, nil, nil, 'x'), E(cjson.encode_sparse_array, {})}
--- option invalid names
local function E(f, ...) local ok, m = pcall(f, ...) return tostring(ok) .. ' ' .. tostring(m) end
return {E(cjson.encode_sparse_array, 1), E(cjson.encode_keep_buffer, 'yes'), E(cjson.encode_keep_buffer, 1.5), E(cjson.encode_invalid_numbers, 'maybe'), E(cjson.decode_invalid_numbers, 'null'), E(cjson.encode_keep_buffer, 'of\0x')}
--- option too many arguments
return cjson.encode_sparse_array(nil, nil, nil, nil)
--- option too many arguments for a single option
local function E(f, ...) local ok, m = pcall(f, ...) return tostring(ok) .. ' ' .. tostring(m) end
return {E(cjson.encode_max_depth, 1, 2), E(cjson.encode_keep_buffer, 1, 2)}
--- option invalid name direct
return cjson.encode_keep_buffer('yes')
--- option values are truncated and wrapped
local c = cjson.new()
return {c.encode_max_depth('7'), c.encode_max_depth(7.9), c.encode_max_depth(2^32 + 5), c.encode_max_depth(' 0x10 '), tostring(c.encode_keep_buffer('off\0x')), c.encode_invalid_numbers('null')}
--- option error keeps earlier arguments
local c = cjson.new() pcall(c.encode_sparse_array, true, -1)
local a, b, d = c.encode_sparse_array()
return {tostring(a), b, d}
--- options of a fresh instance as booleans and strings
local c = cjson.new()
return {tostring(c.encode_invalid_numbers('on')), tostring(c.encode_invalid_numbers('off')), tostring(c.decode_invalid_numbers('off')), tostring(c.decode_invalid_numbers(true)), tostring(c.encode_keep_buffer(nil))}
--- global options changed and restored
local old = cjson.encode_max_depth()
cjson.encode_max_depth(2)
local ok, e = pcall(cjson.encode, {{{}}})
cjson.encode_max_depth(old)
return {tostring(ok), e, cjson.encode_max_depth()}
--- encode in a coroutine
return coroutine.wrap(function() return cjson.encode({cjson.decode('[1,2]'), 'x'}) end)()
--- decoded null and false become nil replies inside arrays
return cjson.decode('[1,null,3,false,1.9,-2.9]')
--- decoded ok field becomes a status reply
return cjson.decode('{"ok":"fine"}')
--- decoded err field becomes an error reply
return cjson.decode('{"err":"boom"}')
