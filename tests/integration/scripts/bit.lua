--- tobit keeps 32-bit values
return {bit.tobit(0), bit.tobit(1), bit.tobit(-1), bit.tobit(2147483647), bit.tobit(-2147483648)}
--- tobit wraps modulo 2^32
return {bit.tobit(0xffffffff), bit.tobit(2^32 + 5), bit.tobit(2^31), bit.tobit(-2^31 - 1), bit.tobit(2^40 + 7)}
--- tobit rounds fractions to even
return {bit.tobit(1.5), bit.tobit(2.5), bit.tobit(-1.5), bit.tobit(-2.5), bit.tobit(0.49), bit.tobit(0.51)}
--- tobit of huge numbers keeps their low representation bits
return {bit.tobit(2^52), bit.tobit(2^53 + 3), bit.tobit(1e300), bit.tobit(-1e300), bit.tobit(2^51 + 0.5)}
--- tobit of NaN and infinities is zero
return {bit.tobit(0/0), bit.tobit(1/0), bit.tobit(-1/0)}
--- tobit converts numeric strings
return {bit.tobit('12'), bit.tobit('0x10'), bit.tobit(' 7 '), bit.tobit('1e3'), bit.tobit('-0')}
--- tobit of a non-numeric string
return {pcall(bit.tobit, 'x')}
--- tobit without argument
return {pcall(bit.tobit)}
--- tobit of nil, boolean and table
return {select(2, pcall(bit.tobit, nil)), select(2, pcall(bit.tobit, true)), select(2, pcall(bit.tobit, {}))}
--- tobit error raised to the script
return bit.tobit('nope')
--- error names the function as called
return {pcall(function() return bit.band(1, 'x', 'y') end)}
--- error names a local alias
return {pcall(function() local f = bit.bor return f('0', {}) end)}
--- error as a method call
return {pcall(function() local t = {f = bit.bor} return t:f('0', {}) end)}
--- band, bor, bxor check the first argument first
return {select(2, pcall(bit.band, 'x', 'y')), select(2, pcall(bit.bor, '0', 'y', 'z')), select(2, pcall(bit.bxor, 1, 2, {}))}
--- band without arguments
return {pcall(bit.band)}
--- band of several values
return {bit.band(0xff, 0x0f, 0x3), bit.band(-1, 0x12345678), bit.band(7), bit.band(0xf0f0f0f0, 0x0ff00ff0)}
--- bor of several values
return {bit.bor(1), bit.bor(1, 2, 4, 8), bit.bor(0x80000000, 1), bit.bor(0, -1)}
--- bxor of several values
return {bit.bxor(1, 3, 7), bit.bxor(-1, 0x0f0f0f0f), bit.bxor(5, 5), bit.bxor(0x80000000, 0x80000000)}
--- bnot
return {bit.bnot(0), bit.bnot(-1), bit.bnot(0x12345678), bit.bnot(2^31), bit.bnot('5')}
--- lshift
return {bit.lshift(1, 0), bit.lshift(1, 31), bit.lshift(1, 32), bit.lshift(1, 33), bit.lshift(1, -1), bit.lshift(0xff, 28)}
--- rshift is logical
return {bit.rshift(-1, 28), bit.rshift(-1, 32), bit.rshift(-1, 1), bit.rshift(0x80000000, 31), bit.rshift(256, 4)}
--- arshift keeps the sign
return {bit.arshift(-256, 4), bit.arshift(0x80000000, 31), bit.arshift(256, 4), bit.arshift(-1, 31), bit.arshift(-8, 33)}
--- rol
return {bit.rol(0x12345678, 4), bit.rol(1, 0), bit.rol(1, 32), bit.rol(1, -1), bit.rol(0x80000000, 1)}
--- ror
return {bit.ror(0x12345678, 4), bit.ror(1, 32), bit.ror(1, 1), bit.ror(1, -1), bit.ror(0x12345678, 36)}
--- shift counts are normalized too
return {bit.lshift(1, 2^32 + 3), bit.rshift(-1, 1.5), bit.rol(1, '4'), bit.lshift(1, 0/0)}
--- shift with a missing count
return {pcall(bit.lshift, 1)}
--- shift without arguments
return {pcall(bit.rshift)}
--- bswap
return {bit.bswap(0x12345678), bit.bswap(0xff), bit.bswap(-1), bit.bswap(0), bit.bswap(0x80)}
--- bswap without argument
return {pcall(bit.bswap)}
--- tohex default width
return {bit.tohex(255), bit.tohex(-1), bit.tohex(0), bit.tohex(0x12345678), bit.tohex('255')}
--- tohex widths
return {bit.tohex(255, 2), bit.tohex(255, 1), bit.tohex(0x12345678, 0), bit.tohex(0x12345678, 4), bit.tohex(0x12345678, 12)}
--- tohex upper case with negative widths
return {bit.tohex(255, -2), bit.tohex(0xabcdef, -6), bit.tohex(0x89abcdef, -8), bit.tohex(0x89abcdef, -9), bit.tohex(0x89abcdef, -12)}
--- tohex with the most negative width
return {bit.tohex(0x89abcdef, -2^31), bit.tohex(0x89abcdef, 2^31), bit.tohex(1, 2^32 - 3)}
--- tohex with fractional and string widths
return {bit.tohex(1, 1.5), bit.tohex(1, 2.5), bit.tohex(0xabc, '-3')}
--- tohex with nil width
return {pcall(bit.tohex, 1, nil)}
--- tohex with a bad width
return {pcall(bit.tohex, 1, 'x')}
--- tohex of huge and special values
return {bit.tohex(1e300), bit.tohex(2^53 + 3), bit.tohex(0/0), bit.tohex(-1/0)}
--- results are signed 32-bit numbers
return {tostring(bit.tobit(0xffffffff)), tostring(bit.bor(0x80000000, 0)), tostring(bit.rshift(-1, 0))}
--- extra arguments of unary functions are ignored
return {bit.bnot(0, 'x'), bit.tobit(1, {}), bit.bswap(1, nil)}
--- bit ops on big numbers truncate modulo 2^32
return {bit.band(2^32 + 0xff, 0xf0), bit.bor(2^33, 1), bit.bxor(2^32 - 1, 1)}
--- computing a checksum
local h = 0
for i = 1, 100 do h = bit.bxor(bit.rol(h, 5), i * 2654435761) end
return {h, bit.tohex(h)}
--- library contents in pairs order
local t = {}
for k, v in pairs(bit) do t[#t + 1] = k .. ':' .. type(v) end
return t
