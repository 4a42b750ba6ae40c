//! Errors from reading configuration files and command-line directives.

use std::fmt;
use std::path::{Path, PathBuf};

/// How deeply `include` directives may nest before loading stops; the limit
/// turns an include cycle into an error instead of endless recursion.
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// What went wrong. The `Display` text is the reason line that follows the
/// offending directive in [`ConfigError`]'s message; where Redis 7.0 has a
/// text for the same fault, it is Redis's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    /// The directive does not exist (or `include` has the wrong number of
    /// arguments).
    #[error("Bad directive or wrong number of arguments")]
    BadDirective {
        /// The directive name as written.
        name: String,
    },
    /// A known directive has the wrong number of arguments.
    #[error("wrong number of arguments")]
    WrongArgCount {
        /// The directive name as written.
        name: String,
    },
    /// A quoted argument is not closed, or a closing quote is followed by
    /// something other than white space.
    #[error("Unbalanced quotes in configuration line")]
    UnbalancedQuotes,
    /// The directive's value was refused.
    #[error("{message}")]
    InvalidValue {
        /// The directive name as written.
        name: String,
        /// Why the value was refused.
        message: String,
    },
    /// A configuration file could not be read.
    #[error("can't open config file '{}': {message}", path.display())]
    Io {
        /// The file that could not be read.
        path: PathBuf,
        /// The operating system's reason.
        message: String,
    },
    /// `include` nested deeper than [`MAX_INCLUDE_DEPTH`].
    #[error("include nesting deeper than {MAX_INCLUDE_DEPTH} levels (is there an include cycle?)")]
    IncludeTooDeep,
    /// A command-line argument came before any `--directive`.
    #[error("unexpected argument '{0}' (directives are written --name value ...)")]
    UnexpectedArgument(String),
}

/// Where the faulty directive came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// Nowhere more precise (e.g. the main configuration file cannot be opened).
    Unspecified,
    /// A line of a configuration file.
    File {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// The line as written, without surrounding white space.
        text: String,
        /// The `include` lines that led to this file, innermost first.
        included_from: Vec<(PathBuf, usize)>,
    },
    /// A `--directive value ...` group of the command line.
    CommandLine {
        /// The directive and its arguments, quoted as Redis shows them.
        text: String,
    },
    /// A call to [`Config::apply_directive`](crate::Config::apply_directive).
    Directive {
        /// The directive and its arguments, quoted as Redis shows them.
        text: String,
    },
}

/// A configuration error: what went wrong ([`ConfigErrorKind`]) and where
/// ([`Origin`]). Its `Display` text is a multi-line fatal message in the
/// manner of Redis's, naming the file and line for file errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Boxed to keep `Result<_, ConfigError>` small.
    inner: Box<Inner>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    kind: ConfigErrorKind,
    origin: Origin,
}

impl ConfigError {
    pub(crate) fn new(kind: ConfigErrorKind, origin: Origin) -> Self {
        ConfigError {
            inner: Box::new(Inner { kind, origin }),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ConfigErrorKind {
        &self.inner.kind
    }

    /// Where the faulty directive came from.
    pub fn origin(&self) -> &Origin {
        &self.inner.origin
    }

    /// The configuration file at fault, if the error comes from a file.
    pub fn file(&self) -> Option<&Path> {
        match &self.inner.origin {
            Origin::File { path, .. } => Some(path),
            _ => match &self.inner.kind {
                ConfigErrorKind::Io { path, .. } => Some(path),
                _ => None,
            },
        }
    }

    /// The 1-based line number at fault, if the error comes from a file line.
    pub fn line(&self) -> Option<usize> {
        match &self.inner.origin {
            Origin::File { line, .. } => Some(*line),
            _ => None,
        }
    }

    /// Records that the file in which this error happened was included from
    /// `path` at `line`.
    pub(crate) fn included_from(mut self, path: &Path, line: usize, text: &str) -> Self {
        match &mut self.inner.origin {
            Origin::File { included_from, .. } => included_from.push((path.to_path_buf(), line)),
            origin => {
                *origin = Origin::File {
                    path: path.to_path_buf(),
                    line,
                    text: text.to_owned(),
                    included_from: Vec::new(),
                }
            }
        }
        self
    }

    /// Gives the error `origin` unless it already has a more precise one.
    pub(crate) fn or_origin(mut self, origin: impl FnOnce() -> Origin) -> Self {
        if self.inner.origin == Origin::Unspecified {
            self.inner.origin = origin();
        }
        self
    }

    /// Replaces a [`Origin::Directive`] origin by a command-line one.
    pub(crate) fn on_command_line(mut self) -> Self {
        if let Origin::Directive { text } = &mut self.inner.origin {
            self.inner.origin = Origin::CommandLine {
                text: std::mem::take(text),
            };
        }
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let version = env!("CARGO_PKG_VERSION");
        match &self.inner.origin {
            Origin::Unspecified => {
                writeln!(f, "*** FATAL CONFIG FILE ERROR (Ferrite {version}) ***")?;
            }
            Origin::File {
                path,
                line,
                text,
                included_from,
            } => {
                writeln!(f, "*** FATAL CONFIG FILE ERROR (Ferrite {version}) ***")?;
                writeln!(
                    f,
                    "Reading the configuration file '{}', at line {line}",
                    path.display()
                )?;
                for (parent, parent_line) in included_from {
                    writeln!(
                        f,
                        "(included from '{}', line {parent_line})",
                        parent.display()
                    )?;
                }
                writeln!(f, ">>> '{text}'")?;
            }
            Origin::CommandLine { text } => {
                writeln!(f, "*** FATAL CONFIG ERROR (Ferrite {version}) ***")?;
                writeln!(f, "Reading the command line")?;
                writeln!(f, ">>> '{text}'")?;
            }
            Origin::Directive { text } => {
                writeln!(f, "*** FATAL CONFIG ERROR (Ferrite {version}) ***")?;
                writeln!(f, "Applying a configuration directive")?;
                writeln!(f, ">>> '{text}'")?;
            }
        }
        write!(f, "{}", self.inner.kind)
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        None
    }
}
