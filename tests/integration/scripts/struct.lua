--- pack integers in both byte orders
return {struct.pack('>i', 1), struct.pack('<i', 1), struct.pack('i', 1), struct.pack('>l', -2), struct.pack('>T', 7)}
--- pack every integer letter
return struct.pack('>bBhHlLTiI', -1, 255, -2, 65535, -3, 4, 5, -6, 7)
--- pack integer sizes
return {struct.pack('>i1', 300), struct.pack('>I3', 0x123456), struct.pack('<i5', -2), struct.pack('>i0', 1)}
--- pack integers wider than eight bytes
return {struct.pack('<i16', -1), struct.pack('>i16', -1), struct.pack('>I12', 2^40)}
--- pack integer conversions of fractions and big values
return struct.pack('>i2i2i2i2i4I4', 65535, 65536, -32769, 1.9, -1.9, 2^32 + 2.7)
--- pack out of range numbers as x86-64 converts them
return struct.pack('>LLLlLLLLLL', 2^64, 1e300, 0/0, -1e300, 2^63, -0.5, 1/0, -1/0, 2^63 + 2^62, -2^63 - 4096)
--- pack numeric strings
return struct.pack('i d', '12', '0.5')
--- pack floats and doubles
return {struct.pack('>f<f', 1.5, 1.5), struct.pack('>d', -0.1), struct.pack('<d', 1/3), struct.pack('>f', 0.1)}
--- pack float overflow and NaN
return {struct.pack('>f', 1e300), struct.pack('>f', 0/0), struct.pack('>d', 0/0), struct.pack('>f', -1/0)}
--- pack strings
return {struct.pack('s', 'abc'), struct.pack('c', 'abc'), struct.pack('c0', 'abc'), struct.pack('c2', 'abc'), struct.pack('s', 12)}
--- pack strings with zero bytes
return {struct.pack('s', 'a\0b'), struct.pack('c0', '\0\0'), struct.pack('c4', 'ab\0d')}
--- pack padding bytes
return struct.pack('bxxbx', 1, 2)
--- pack alignment
return {struct.pack('!4 b i', 1, 2), struct.pack('!b d', 1, 2), struct.pack('!2b i', 1, 2),
  struct.pack('!8 b h b i b d', 1, 2, 3, 4, 5, 6), struct.pack('>!4 b T', 1, 2)}
--- pack alignment to sizes that are not powers of two
return {struct.pack('!bi3', 1, 2), struct.pack('!8bi3', 1, 2), struct.pack('!8bi6', 1, 2)}
--- pack c is never aligned
return struct.pack('!4 b c3 i', 1, 'xyz', 2)
--- pack format ends at a zero byte
return struct.pack('i\0i', 1)
--- pack with a missing argument
return {pcall(struct.pack, 'i')}
--- pack with a missing second argument
return {pcall(struct.pack, 'ii', 1)}
--- pack with a non-numeric argument
return {pcall(struct.pack, 'i', 'x')}
--- pack without format
return {pcall(struct.pack)}
--- pack with a number as format
return {pcall(struct.pack, 12)}
--- pack error raised to the script
return struct.pack('i')
--- pack invalid format options
return {select(2, pcall(struct.pack, 'z', 1)), select(2, pcall(struct.pack, 'bz', 1)), select(2, pcall(struct.pack, 'b#', 1))}
--- pack invalid non-ASCII option
return {pcall(struct.pack, '\255')}
--- pack integer size limit
return {select(2, pcall(struct.pack, 'i33', 1)), select(2, pcall(struct.pack, 'i99999999', 1)), select(2, pcall(struct.pack, 'i99999999999', 1))}
--- pack huge string counts
return {select(2, pcall(struct.pack, 'c2000000000', 'x')), select(2, pcall(struct.pack, 'c99999999999', 'x'))}
--- pack string too short
return {pcall(struct.pack, 'c5', 'abc')}
--- pack string argument of the wrong type
return {pcall(struct.pack, 'c', {})}
--- pack bad alignments
return {select(2, pcall(struct.pack, '!3i', 1)), select(2, pcall(struct.pack, '!0')), select(2, pcall(function() return struct.pack('!6') end))}
--- unpack integers and the next position
return {struct.unpack('>i', '\0\0\0\1\2', 1)}
--- unpack from a start position
return {struct.unpack('>b', '\1\2', 2), struct.unpack('b', 'abcd', 4)}
--- unpack start position conversions
return {struct.unpack('>b', '\1\2', 1.9)}
--- unpack signed and unsigned letters
return {struct.unpack('<bBhHi', '\255\255\254\255\254\255\1\0\0\128')}
--- unpack sign extension of odd sizes
return {struct.unpack('>i3', '\255\255\254'), struct.unpack('>I3', '\255\255\254')}
--- unpack wide integers
return {struct.unpack('>i16', string.rep('\255', 16)), struct.unpack('>i9', string.rep('\255', 9)),
  struct.unpack('>i9', '\0\128\0\0\0\0\0\0\0'), struct.unpack('>i12', '\0\0\0\0\0\128\0\0\0\0\0\1')}
--- unpack 64-bit unsigned values
return {tostring(struct.unpack('>I8', '\255\255\255\255\255\255\255\254')), tostring(struct.unpack('<T', string.rep('\255', 8)))}
--- unpack floats and doubles
return {tostring(struct.unpack('>f', '\63\204\204\205')), tostring(struct.unpack('<d', struct.pack('<d', 0.1))),
  tostring(struct.unpack('>d', '\255\248\0\0\0\0\0\1')), tostring(struct.unpack('>f', '\255\192\0\1'))}
--- unpack strings
return {struct.unpack('s s', 'ab\0cd\0ef')}
--- unpack empty string at the end
return {struct.unpack('s', 'abc\0', 4)}
--- unpack counted strings
return {struct.unpack('c3 c2', 'abcdef')}
--- unpack c0 takes its size from the previous value
return {struct.unpack('bc0', '\3abcd'), struct.unpack('c1c0', '3abcd')}
--- unpack c0 after padding
return {struct.unpack('bxc0', '\2-ab')}
--- unpack c0 of size zero
return {struct.unpack('b c0', '\0')}
--- unpack c0 without a previous size
return {select(2, pcall(struct.unpack, 'c0', 'abcd')), select(2, pcall(struct.unpack, 'xc0', 'abcd')),
  select(2, pcall(struct.unpack, 'c1c0', 'xabcd'))}
--- unpack c0 with sizes past the data
return {select(2, pcall(struct.unpack, 'bc0', '\9abcd')), select(2, pcall(struct.unpack, 'bc0', '\255abcd'))}
--- unpack padding and byte orders
return {struct.unpack('xxb', 'abc'), struct.unpack('<h>h', '\1\2\1\2')}
--- unpack alignment
return {struct.unpack('!4 b i', '\1\0\0\0\2\0\0\0')}
--- unpack alignment from a start position
return {struct.unpack('!4 i', '\1\0\0\0\2\0\0\0\3\0\0\0', 2)}
--- unpack coerces a number as data
return {struct.unpack('i', 12345)}
--- unpack empty format from past the end
return {struct.unpack('', 'abcd', 10)}
--- unpack data too short
return {pcall(struct.unpack, '>i', '\1\2')}
--- unpack positions past the end
return {select(2, pcall(struct.unpack, '>b', '\1\2', 3)), select(2, pcall(struct.unpack, 'x', 'abcd', 5)), select(2, pcall(struct.unpack, 'x', '', 1))}
--- unpack position zero
return {pcall(struct.unpack, '>b', '\1\2', 0)}
--- unpack negative positions
return {select(2, pcall(struct.unpack, '>b', '\1\2', -5)), select(2, pcall(struct.unpack, 'i', 'abcd', -1)),
  select(2, pcall(struct.unpack, '!4 i', 'abcd', -1))}
--- unpack huge position
return {pcall(struct.unpack, '>b', '\1\2', 2^40)}
--- unpack bad position argument
return {pcall(struct.unpack, '>b', '\1\2', 'x')}
--- unpack without data
return {pcall(struct.unpack, 'i')}
--- unpack error raised to the script
return struct.unpack('>I2 I2', '\1\2\3\4', 3)
--- unpack unfinished strings
return {select(2, pcall(struct.unpack, 's', 'abc')), select(2, pcall(struct.unpack, 's', 'abc\0', 5))}
--- unpack invalid format options
return {select(2, pcall(struct.unpack, 'z', 'abc')), select(2, pcall(struct.unpack, '#', 'abc')), select(2, pcall(struct.unpack, 12, '12345'))}
--- unpack huge counts fail without reading
return {select(2, pcall(struct.unpack, 'c2147483647', 'x')), select(2, pcall(struct.unpack, 'i99999999', 'x'))}
--- unpack too many results
return {pcall(struct.unpack, string.rep('b', 9000), string.rep('a', 9000))}
--- unpack result count limit
local function highest(extra)
  local lo = 0
  for n = 7993, 8000 do
    local ok = pcall(function() return select('#', struct.unpack(string.rep('b', n), string.rep('a', n), extra)) end)
    if ok then lo = n end
  end
  return lo
end
return {highest(nil), highest(1)}
--- size of fixed formats
return {struct.size('i'), struct.size('!8bd'), struct.size('c5'), struct.size('>bhi'), struct.size('!bhi'), struct.size(''),
  struct.size('lLT'), struct.size('i32'), struct.size('xxx'), struct.size('  '), struct.size('c')}
--- size ignores unknown letters
return {struct.size('z'), struct.size('Q'), struct.size('i1i2i4i8'), struct.size('c00001')}
--- size with alignment
return {struct.size('!4bi'), struct.size('!16bd'), struct.size('!2bd'), struct.size('!bi16'), struct.size('!bi3'),
  struct.size('!8bi6'), struct.size('>!<  '), struct.size('bc3i'), struct.size('!bc3i'), struct.size('x!4i'), struct.size('!1073741824bi')}
--- size of huge counts
return {struct.size('c2147483647'), struct.size('c2147483647c2147483647')}
--- size of variable formats
return {select(2, pcall(struct.size, 's')), select(2, pcall(struct.size, 'c0')), select(2, pcall(struct.size, 'c0000'))}
--- size errors
return {select(2, pcall(struct.size, 'i33')), select(2, pcall(struct.size, 'i2147483647')), select(2, pcall(struct.size, 'i2147483648')),
  select(2, pcall(struct.size, 'c2147483648')), select(2, pcall(struct.size, '!2147483648')), select(2, pcall(struct.size, '!3')),
  select(2, pcall(struct.size, 'z!3')), select(2, pcall(struct.size, '#'))}
--- size without format
return {pcall(struct.size)}
--- size error raised to the script
return struct.size('!3')
--- pack and unpack round trip
local fmt = '<!4 b B h H i I l f d s i4 c0'
local packed = struct.pack(fmt, -5, 200, -300, 60000, -70000, 3000000000, 2^40, 1.5, 0.25, 'str', 5, 'hello')
local r = {struct.unpack(fmt, packed)}
for i = 1, #r do r[i] = tostring(r[i]) end
r[#r + 1] = #packed
return r
--- library contents in pairs order
local t = {}
for k, v in pairs(struct) do t[#t + 1] = k .. ':' .. type(v) end
return t
