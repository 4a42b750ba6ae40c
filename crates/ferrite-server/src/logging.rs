//! The process's logger: lines in redis-server's shape on standard output or
//! the `logfile`, optionally syslog too, at a level `CONFIG SET loglevel`
//! changes live (through [`ferrite_runtime::logging`]).
//!
//! Redis's four levels map onto tracing's: debug is TRACE, verbose is DEBUG,
//! notice is INFO, warning is WARN (and ERROR).

use std::ffi::CString;
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use ferrite_config::{Config, LogLevel};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::{Context as LayerContext, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter, Layer};

/// The tracing filter for a Redis `loglevel`.
pub fn filter_for(level: LogLevel) -> &'static str {
    match level {
        LogLevel::Debug => "trace",
        LogLevel::Verbose => "debug",
        LogLevel::Notice => "info",
        LogLevel::Warning => "warn",
        LogLevel::Nothing => "off",
    }
}

/// The level character redis-server writes for an event's level.
pub fn level_char(level: &Level) -> char {
    match *level {
        Level::TRACE => '.',
        Level::DEBUG => '-',
        Level::INFO => '*',
        _ => '#',
    }
}

/// The syslog priority (without facility) of an event's level, as Redis
/// maps its own levels.
pub fn syslog_priority(level: &Level) -> libc::c_int {
    match *level {
        Level::TRACE => libc::LOG_DEBUG,
        Level::DEBUG => libc::LOG_INFO,
        Level::INFO => libc::LOG_NOTICE,
        _ => libc::LOG_WARNING,
    }
}

/// The syslog facility named by `syslog-facility` (Redis accepts `user` and
/// `local0` to `local7`).
pub fn parse_facility(name: &str) -> Option<libc::c_int> {
    Some(match name {
        "user" => libc::LOG_USER,
        "local0" => libc::LOG_LOCAL0,
        "local1" => libc::LOG_LOCAL1,
        "local2" => libc::LOG_LOCAL2,
        "local3" => libc::LOG_LOCAL3,
        "local4" => libc::LOG_LOCAL4,
        "local5" => libc::LOG_LOCAL5,
        "local6" => libc::LOG_LOCAL6,
        "local7" => libc::LOG_LOCAL7,
        _ => return None,
    })
}

/// A broken-down local time, as a log line shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Day of the month, 1-31.
    pub day: u32,
    /// Month, 0-11.
    pub month: u32,
    /// Full year.
    pub year: i32,
    /// Hour, 0-23.
    pub hour: u32,
    /// Minute.
    pub min: u32,
    /// Second.
    pub sec: u32,
    /// Millisecond.
    pub ms: u32,
}

impl Stamp {
    /// Now, in the local time zone (as redis-server logs).
    pub fn now() -> Stamp {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let secs = since.as_secs() as libc::time_t;
        // SAFETY: localtime_r only writes the `tm` we own; a zeroed tm is a
        // valid value for it to overwrite.
        let tm = unsafe {
            let mut tm: libc::tm = std::mem::zeroed();
            libc::localtime_r(&secs, &mut tm);
            tm
        };
        Stamp {
            day: tm.tm_mday as u32,
            month: tm.tm_mon as u32,
            year: tm.tm_year + 1900,
            hour: tm.tm_hour as u32,
            min: tm.tm_min as u32,
            sec: tm.tm_sec as u32,
            ms: since.subsec_millis(),
        }
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// One log line without its newline:
/// `<pid>:M <dd Mon yyyy HH:MM:SS.mmm> <level char> <message>`, the event's
/// other fields appended as ` key=value`.
pub fn render_line(pid: u32, at: Stamp, level: char, body: &str) -> String {
    let month = MONTHS.get(at.month as usize).copied().unwrap_or("???");
    format!(
        "{pid}:M {:02} {month} {} {:02}:{:02}:{:02}.{:03} {level} {body}",
        at.day, at.year, at.hour, at.min, at.sec, at.ms
    )
}

/// An event's message followed by its other fields as ` key=value`.
#[derive(Default)]
struct Body {
    message: String,
    fields: String,
}

impl Body {
    /// An event with both a format string and a `message` field has two
    /// messages: they read as `first: second` (`DEBUG LOG: text`, as Redis
    /// writes it).
    fn message_part(&mut self) {
        if !self.message.is_empty() {
            self.message.push_str(": ");
        }
    }

    fn of(event: &Event<'_>) -> String {
        let mut b = Body::default();
        event.record(&mut b);
        b.message + &b.fields
    }
}

impl Visit for Body {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message_part();
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message_part();
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

/// Formats events as redis-server's log lines.
struct RedisFormat {
    pid: u32,
}

impl<S, N> FormatEvent<S, N> for RedisFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let level = level_char(event.metadata().level());
        writeln!(
            writer,
            "{}",
            render_line(self.pid, Stamp::now(), level, &Body::of(event))
        )
    }
}

/// Sends every event to syslog (opened once with `syslog-ident` and
/// `syslog-facility`).
struct Syslog;

impl Syslog {
    fn open(ident: &[u8], facility: libc::c_int) -> anyhow::Result<Syslog> {
        let ident = CString::new(ident).context("syslog-ident contains a NUL byte")?;
        // openlog keeps the pointer: the ident must live as long as the process.
        let ident: &'static std::ffi::CStr = Box::leak(ident.into_boxed_c_str());
        // SAFETY: `ident` is a NUL-terminated string that is never freed.
        unsafe { libc::openlog(ident.as_ptr(), libc::LOG_PID | libc::LOG_NDELAY, facility) };
        Ok(Syslog)
    }
}

impl<S: Subscriber> Layer<S> for Syslog {
    fn on_event(&self, event: &Event<'_>, _ctx: LayerContext<'_, S>) {
        let body = Body::of(event).replace('\0', " ");
        if let Ok(msg) = CString::new(body) {
            // SAFETY: both strings are NUL-terminated and outlive the call;
            // the format takes exactly the one string argument given.
            unsafe {
                libc::syslog(
                    syslog_priority(event.metadata().level()),
                    c"%s".as_ptr(),
                    msg.as_ptr(),
                )
            };
        }
    }
}

/// Installs the process's logger as `config` asks and the hook through which
/// `CONFIG SET loglevel` changes its level. `FERRITE_LOG` (an env filter)
/// overrides the level, then and later.
pub fn init(config: &Config, syslog_enabled: bool) -> anyhow::Result<()> {
    let from_env = EnvFilter::try_from_env("FERRITE_LOG").ok();
    let fixed = from_env.is_some();
    let filter = from_env.unwrap_or_else(|| EnvFilter::new(filter_for(config.loglevel)));
    let (filter, handle) = reload::Layer::new(filter);
    let format = RedisFormat {
        pid: std::process::id(),
    };
    let fmt = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .event_format(format);
    let fmt = if config.logfile.is_empty() {
        fmt.with_writer(tracing_subscriber::fmt::writer::BoxMakeWriter::new(
            std::io::stdout,
        ))
    } else {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&config.logfile)
            .with_context(|| format!("can't open the log file {}", config.logfile))?;
        fmt.with_writer(tracing_subscriber::fmt::writer::BoxMakeWriter::new(
            std::sync::Mutex::new(file),
        ))
    };
    let syslog = if syslog_enabled {
        let facility = parse_facility(config.syslog_facility)
            .with_context(|| format!("bad syslog-facility {}", config.syslog_facility))?;
        Some(Syslog::open(&config.syslog_ident, facility)?)
    } else {
        None
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(syslog)
        .try_init()
        .context("can't install the logger")?;
    if !fixed {
        ferrite_runtime::logging::set_level_hook(Box::new(move |level| {
            let _ = handle.modify(|f| *f = EnvFilter::new(filter_for(level)));
        }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_have_redis_shape() {
        let at = Stamp {
            day: 2,
            month: 10,
            year: 2026,
            hour: 3,
            min: 4,
            sec: 5,
            ms: 7,
        };
        assert_eq!(
            render_line(42, at, '*', "Ready to accept connections port=6379"),
            "42:M 02 Nov 2026 03:04:05.007 * Ready to accept connections port=6379"
        );
        assert_eq!(
            [
                Level::TRACE,
                Level::DEBUG,
                Level::INFO,
                Level::WARN,
                Level::ERROR
            ]
            .map(|l| level_char(&l)),
            ['.', '-', '*', '#', '#']
        );
    }

    #[test]
    fn facilities_are_redis_names() {
        assert_eq!(parse_facility("user"), Some(libc::LOG_USER));
        assert_eq!(parse_facility("local0"), Some(libc::LOG_LOCAL0));
        assert_eq!(parse_facility("local7"), Some(libc::LOG_LOCAL7));
        assert_eq!(parse_facility("local8"), None);
        assert_eq!(parse_facility("daemon"), None);
        assert_eq!(parse_facility("LOCAL0"), None);
    }

    #[test]
    fn levels_map_as_redis_maps_them() {
        assert_eq!(syslog_priority(&Level::TRACE), libc::LOG_DEBUG);
        assert_eq!(syslog_priority(&Level::DEBUG), libc::LOG_INFO);
        assert_eq!(syslog_priority(&Level::INFO), libc::LOG_NOTICE);
        assert_eq!(syslog_priority(&Level::WARN), libc::LOG_WARNING);
        assert_eq!(filter_for(LogLevel::Debug), "trace");
        assert_eq!(filter_for(LogLevel::Warning), "warn");
    }
}
