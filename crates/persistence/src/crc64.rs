//! Redis's CRC64 (Jones polynomial, reflected, as `crc64.c` computes it):
//! the checksum that ends DUMP payloads and RDB files.

/// The CRC64 of `data`, as Redis computes it for DUMP payloads and RDB files.
pub fn crc64(data: &[u8]) -> u64 {
    CRC.checksum(data)
}

const CRC: crc::Crc<u64> = crc::Crc::<u64>::new(&crc::CRC_64_REDIS);

/// An incremental CRC64, for output produced piece by piece (an RDB file).
pub struct Crc64(crc::Digest<'static, u64>);

impl Crc64 {
    /// A checksum of nothing yet.
    pub fn new() -> Crc64 {
        Crc64(CRC.digest())
    }

    /// Adds `data` to the checksummed bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The checksum of everything added.
    pub fn finish(self) -> u64 {
        self.0.finalize()
    }
}

impl std::fmt::Debug for Crc64 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Crc64")
    }
}

impl Default for Crc64 {
    fn default() -> Self {
        Crc64::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_redis_check_value() {
        // The check value in Redis's crc64.c self-test.
        assert_eq!(crc64(b"123456789"), 0xe9c6_d914_c4b8_d9ca);
        let mut d = Crc64::new();
        d.update(b"1234");
        d.update(b"56789");
        assert_eq!(d.finish(), crc64(b"123456789"));
    }
}
