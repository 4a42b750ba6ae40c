//! The protocol error type shared by the request decoder and the reply parser.

use std::borrow::Cow;

/// A malformed request (the connection must be closed after replying with
/// [`ProtocolError::reply_text`]) or a malformed reply frame.
///
/// For request errors, `Display` renders exactly the text Redis 7.0 sends
/// after `-ERR ` (for [`ProtocolError::ExpectedDollar`] with a byte above
/// 0x7f `Display` can only show the Latin-1 character; `reply_text` has the
/// exact bytes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// A `*<count>` line longer than 64 KiB without its `\r`.
    #[error("Protocol error: too big mbulk count string")]
    TooBigMbulkCount,
    /// The `*<count>` is not a number or exceeds [`crate::Limits::max_multibulk_len`].
    #[error("Protocol error: invalid multibulk length")]
    InvalidMultibulkLength,
    /// More than 10 arguments from a client that has not authenticated.
    #[error("Protocol error: unauthenticated multibulk length")]
    UnauthenticatedMultibulkLength,
    /// A `$<len>` line longer than 64 KiB without its `\r`.
    #[error("Protocol error: too big bulk count string")]
    TooBigBulkCount,
    /// An argument header that does not start with `$`.
    #[error("Protocol error: expected '$', got '{}'", shown_byte(*got))]
    ExpectedDollar {
        /// The byte found where `$` was expected.
        got: u8,
    },
    /// The `$<len>` is not a number, is negative or exceeds
    /// [`crate::Limits::max_bulk_len`].
    #[error("Protocol error: invalid bulk length")]
    InvalidBulkLength,
    /// An argument longer than 16384 bytes from a client that has not
    /// authenticated.
    #[error("Protocol error: unauthenticated bulk length")]
    UnauthenticatedBulkLength,
    /// An inline request with more than 64 KiB buffered and no newline.
    #[error("Protocol error: too big inline request")]
    TooBigInlineRequest,
    /// An inline request with an unterminated quote, or a closing quote not
    /// followed by a space.
    #[error("Protocol error: unbalanced quotes in request")]
    UnbalancedQuotes,
    /// A reply frame that is not valid RESP2/RESP3 (reply parser only).
    #[error("Protocol error: invalid reply at offset {offset}: {reason}")]
    InvalidReply {
        /// Offset in the parsed buffer where the problem was found.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
}

/// Redis replaces `\r` and `\n` with spaces in formatted error replies.
fn shown_byte(b: u8) -> char {
    match b {
        b'\r' | b'\n' => ' ',
        _ => char::from(b),
    }
}

impl ProtocolError {
    /// The exact error reply text, `ERR ` prefix included, ready for
    /// [`crate::Writer::error`]. Byte-exact even for non-ASCII bytes.
    pub fn reply_text(&self) -> Cow<'static, [u8]> {
        match self {
            ProtocolError::ExpectedDollar { got } => {
                let mut v = b"ERR Protocol error: expected '$', got '".to_vec();
                v.push(match got {
                    b'\r' | b'\n' => b' ',
                    b => *b,
                });
                v.push(b'\'');
                Cow::Owned(v)
            }
            other => Cow::Owned(format!("ERR {other}").into_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_text_is_prefixed_and_byte_exact() {
        assert_eq!(
            &*ProtocolError::InvalidBulkLength.reply_text(),
            b"ERR Protocol error: invalid bulk length"
        );
        assert_eq!(
            &*ProtocolError::ExpectedDollar { got: 0xff }.reply_text(),
            b"ERR Protocol error: expected '$', got '\xff'"
        );
        assert_eq!(
            &*ProtocolError::ExpectedDollar { got: b'\r' }.reply_text(),
            b"ERR Protocol error: expected '$', got ' '"
        );
        assert_eq!(
            ProtocolError::ExpectedDollar { got: b'f' }.to_string(),
            "Protocol error: expected '$', got 'f'"
        );
    }
}
