//! Command errors whose text is exactly Redis's reply text.

use std::borrow::Cow;
use std::fmt;

/// The kinds of command error, each rendering to Redis's exact reply text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// `WRONGTYPE Operation against a key holding the wrong kind of value`
    WrongType,
    /// `ERR syntax error`
    Syntax,
    /// `ERR value is not an integer or out of range`
    NotInteger,
    /// `ERR value is not a valid float`
    NotFloat,
    /// `ERR increment or decrement would overflow`
    Overflow,
    /// `ERR no such key`
    NoSuchKey,
    /// `ERR wrong number of arguments for '<name>' command`
    WrongArity(String),
    /// `ERR unknown command '<name>', with args beginning with: ...`
    UnknownCommand(String),
    /// `ERR DB index is out of range`
    DbIndexOutOfRange,
    /// `ERR string exceeds maximum allowed size (proto-max-bulk-len)`
    StringTooLong,
    /// Any other text, given in full (including its leading code word).
    Other(Cow<'static, str>),
}

/// A command error. Its `Display` is the reply text without the leading `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmdError {
    /// What went wrong.
    pub kind: ErrorKind,
}

impl CmdError {
    /// An error with a fixed or formatted full text, e.g. `ERR invalid expire time in 'set' command`.
    pub fn other(text: impl Into<Cow<'static, str>>) -> CmdError {
        CmdError {
            kind: ErrorKind::Other(text.into()),
        }
    }

    /// The WRONGTYPE error.
    pub const WRONG_TYPE: CmdError = CmdError {
        kind: ErrorKind::WrongType,
    };
    /// The syntax error.
    pub const SYNTAX: CmdError = CmdError {
        kind: ErrorKind::Syntax,
    };
    /// The not-an-integer error.
    pub const NOT_INTEGER: CmdError = CmdError {
        kind: ErrorKind::NotInteger,
    };
    /// The not-a-float error.
    pub const NOT_FLOAT: CmdError = CmdError {
        kind: ErrorKind::NotFloat,
    };
    /// The increment-overflow error.
    pub const OVERFLOW: CmdError = CmdError {
        kind: ErrorKind::Overflow,
    };
    /// The no-such-key error.
    pub const NO_SUCH_KEY: CmdError = CmdError {
        kind: ErrorKind::NoSuchKey,
    };
    /// The DB-index error.
    pub const DB_INDEX: CmdError = CmdError {
        kind: ErrorKind::DbIndexOutOfRange,
    };
    /// The string-size-limit error.
    pub const STRING_TOO_LONG: CmdError = CmdError {
        kind: ErrorKind::StringTooLong,
    };

    /// The arity error for command `name` (as the client typed it, lowercased by Redis? no: as typed).
    pub fn wrong_arity(name: &[u8]) -> CmdError {
        CmdError {
            kind: ErrorKind::WrongArity(String::from_utf8_lossy(name).into_owned()),
        }
    }
}

impl fmt::Display for CmdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::WrongType => {
                f.write_str("WRONGTYPE Operation against a key holding the wrong kind of value")
            }
            ErrorKind::Syntax => f.write_str("ERR syntax error"),
            ErrorKind::NotInteger => f.write_str("ERR value is not an integer or out of range"),
            ErrorKind::NotFloat => f.write_str("ERR value is not a valid float"),
            ErrorKind::Overflow => f.write_str("ERR increment or decrement would overflow"),
            ErrorKind::NoSuchKey => f.write_str("ERR no such key"),
            ErrorKind::WrongArity(name) => {
                write!(f, "ERR wrong number of arguments for '{name}' command")
            }
            ErrorKind::UnknownCommand(text) => f.write_str(text),
            ErrorKind::DbIndexOutOfRange => f.write_str("ERR DB index is out of range"),
            ErrorKind::StringTooLong => {
                f.write_str("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
            }
            ErrorKind::Other(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for CmdError {}

/// Result of a command handler: `Ok` once the reply is written.
pub type CmdResult = Result<(), CmdError>;
