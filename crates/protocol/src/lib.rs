//! ferrite-protocol: the Redis wire protocol, with no knowledge of sockets,
//! threads or commands.
//!
//! It owns:
//! - [`RequestDecoder`]: incremental, zero-copy decoding of client requests
//!   (multibulk `*N\r\n$len\r\n...` and inline `SET k v\r\n`), byte for byte
//!   as Redis 7.0 accepts and refuses them, with the same
//!   [`ProtocolError`] texts and [`Limits`];
//! - [`Writer`]: encoding of replies into a caller-owned buffer, in RESP2 or
//!   RESP3 shapes;
//! - [`Frame`], [`parse_reply`], [`reply_len`] and [`encode_request`]: the
//!   client side, for test clients and the scripting bridge.
//!
//! Invariants: nothing here panics on any input, memory is only allocated
//! for bytes that have actually arrived (never for a merely declared
//! length), and a request split into any chunks decodes exactly as when
//! it arrives whole (below the 64 KiB line limits, whose errors, as in Redis,
//! depend on how much is buffered).

mod error;
mod frame;
#[doc(hidden)]
pub mod fuzzing;
mod inline;
mod request;
mod writer;

pub use error::ProtocolError;
pub use frame::{parse_reply, reply_len, Frame, MAX_REPLY_DEPTH};
pub use request::{
    encode_request, Limits, RequestDecoder, INLINE_MAX_SIZE, UNAUTHENTICATED_MAX_BULK_LEN,
    UNAUTHENTICATED_MAX_MULTIBULK_LEN,
};
pub use writer::{format_double, Writer};
