//! Times said the way people say them: "in 2 days", "5 minutes ago", and a countdown
//! that ticks once the page has hydrated. Pure functions, so the server renders the same
//! words the browser later keeps up to date.

use leptos::prelude::*;

use crate::browser::now_millis;

/// `to` relative to `from` (UTC seconds): "in 2 days", "3 hours ago", "just now".
pub fn relative(from: i64, to: i64) -> String {
    let delta = to - from;
    let magnitude = delta.unsigned_abs();
    let (count, unit) = match magnitude {
        0..=44 => return "just now".to_string(),
        45..=5_399 => (magnitude.div_ceil(60).max(1), "minute"),
        5_400..=79_199 => ((magnitude + 1_800) / 3_600, "hour"),
        _ => ((magnitude + 43_200) / 86_400, "day"),
    };
    let plural = if count == 1 { "" } else { "s" };
    if delta > 0 {
        format!("in {count} {unit}{plural}")
    } else {
        format!("{count} {unit}{plural} ago")
    }
}

/// A countdown of `seconds`: "2 d 03:04:05", "03:04:05", "04:05".
pub fn countdown_text(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (hours, minutes, secs) = (rest / 3_600, rest % 3_600 / 60, rest % 60);
    if days > 0 {
        format!("{days} d {hours:02}:{minutes:02}:{secs:02}")
    } else if hours > 0 {
        format!("{hours:02}:{minutes:02}:{secs:02}")
    } else {
        format!("{minutes:02}:{secs:02}")
    }
}

/// The viewer's "now" in UTC seconds, corrected by the server's clock: the server sent
/// `server_now` with the page, and the viewer's clock may be minutes off.
#[derive(Clone, Copy)]
pub struct Now {
    /// Seconds, ticking after hydration.
    pub seconds: ReadSignal<i64>,
}

/// A clock that starts at the server's `server_now` and, once hydrated, ticks every
/// second on the viewer's clock (skew removed).
pub fn ticking_now(server_now: i64) -> Now {
    let (seconds, set_seconds) = signal(server_now);
    Effect::new(move |_| {
        let Some(client_at_start) = now_millis() else {
            return;
        };
        let skew = server_now as f64 * 1_000.0 - client_at_start;
        let handle = set_interval_with_handle(
            move || {
                if let Some(client) = now_millis() {
                    set_seconds.set(((client + skew) / 1_000.0).floor() as i64);
                }
            },
            std::time::Duration::from_secs(1),
        );
        if let Ok(handle) = handle {
            on_cleanup(move || handle.clear());
        }
    });
    Now { seconds }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_naturally() {
        assert_eq!(relative(0, 10), "just now");
        assert_eq!(relative(0, 60), "in 1 minute");
        assert_eq!(relative(0, 300), "in 5 minutes");
        assert_eq!(relative(0, 7_200), "in 2 hours");
        assert_eq!(relative(0, 2 * 86_400 + 100), "in 2 days");
        assert_eq!(relative(86_400, 0), "1 day ago");
        assert_eq!(relative(600, 0), "10 minutes ago");
    }

    #[test]
    fn countdowns_drop_what_is_zero() {
        assert_eq!(countdown_text(65), "01:05");
        assert_eq!(countdown_text(3_661), "01:01:01");
        assert_eq!(countdown_text(90_061), "1 d 01:01:01");
        assert_eq!(countdown_text(-5), "00:00");
    }
}
