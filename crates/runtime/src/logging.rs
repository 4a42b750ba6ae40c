//! The live log level: the binary owns the logger (the runtime does not
//! depend on any subscriber) and installs a hook here that `CONFIG SET
//! loglevel` calls, so that a new level takes effect without a restart.

use std::sync::OnceLock;

use ferrite_config::LogLevel;

/// Applies a `loglevel` to the process's logger.
pub type LevelHook = Box<dyn Fn(LogLevel) + Send + Sync>;

/// One logger per process, hence one hook per process rather than one per
/// server (tests run many servers in one process, none with a hook).
static HOOK: OnceLock<LevelHook> = OnceLock::new();

/// Installs the hook; false when one was installed already (the first
/// stays).
pub fn set_level_hook(hook: LevelHook) -> bool {
    HOOK.set(hook).is_ok()
}

/// Hands the configured level to the hook, if one is installed.
pub fn level_changed(level: LogLevel) {
    if let Some(hook) = HOOK.get() {
        hook(level);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn the_first_hook_receives_the_levels() {
        static SEEN: AtomicUsize = AtomicUsize::new(usize::MAX);
        level_changed(LogLevel::Debug);
        assert!(set_level_hook(Box::new(
            |l| SEEN.store(l as usize, Ordering::SeqCst)
        )));
        assert!(!set_level_hook(Box::new(|_| {})));
        level_changed(LogLevel::Warning);
        assert_eq!(SEEN.load(Ordering::SeqCst), LogLevel::Warning as usize);
    }
}
