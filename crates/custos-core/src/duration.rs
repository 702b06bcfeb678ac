//! Durations as operators write them (`0s`, `90m`, `24h`, `7d`, `1d12h`): parsing for the admin
//! API, the admin CLI and `serve` flags (key rotation), and the matching short form for display.
//!
//! In core rather than beside the signing keys so that the command line can read durations
//! without depending on the authority.

use time::Duration;

/// Longest duration accepted (10 years): keeps date arithmetic far from overflow.
pub const MAX_DURATION: Duration = Duration::days(3650);

/// Why a duration string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not a sequence of `<digits><unit>` with units `s`, `m`, `h`, `d`.
    #[error("'{0}' is not a duration: use a number and a unit s, m, h or d, such as 0s, 90m, 24h or 7d")]
    Syntax(String),
    /// Longer than [`MAX_DURATION`].
    #[error("'{0}' is longer than the maximum of 3650d")]
    TooLong(String),
}

/// Parses `0s`, `90m`, `24h`, `7d` or a concatenation such as `1d12h`. Each part is a decimal
/// number followed by one unit; signs, spaces and fractions are refused.
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let syntax = || DurationError::Syntax(input.to_owned());
    if input.is_empty() {
        return Err(syntax());
    }
    let mut total = Duration::ZERO;
    let mut rest = input;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 12 {
            return Err(if digits == 0 { syntax() } else { DurationError::TooLong(input.to_owned()) });
        }
        let value: i64 = rest[..digits].parse().map_err(|_| syntax())?;
        let unit_secs = match rest.as_bytes().get(digits) {
            Some(b's') => 1,
            Some(b'm') => 60,
            Some(b'h') => 3_600,
            Some(b'd') => 86_400,
            _ => return Err(syntax()),
        };
        total += Duration::seconds(value * unit_secs);
        if total > MAX_DURATION {
            return Err(DurationError::TooLong(input.to_owned()));
        }
        rest = &rest[digits + 1..];
    }
    Ok(total)
}

/// The exact form of a non-negative duration in whole seconds, largest units first: `0s`,
/// `1h30m`, `1d`, `7d`, `1d12h`.
pub fn format_duration(duration: Duration) -> String {
    let mut secs = duration.whole_seconds().max(0);
    if secs == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, size) in [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)] {
        if secs >= size {
            out.push_str(&(secs / size).to_string());
            out.push(unit);
            secs %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_durations_parse() {
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("90m"), Ok(Duration::minutes(90)));
        assert_eq!(parse_duration("24h"), Ok(Duration::hours(24)));
        assert_eq!(parse_duration("7d"), Ok(Duration::days(7)));
        assert_eq!(parse_duration("1d12h30m5s"), Ok(Duration::seconds(131_405)));
        assert_eq!(parse_duration("3650d"), Ok(MAX_DURATION));
    }

    #[test]
    fn anything_else_is_refused_with_a_message_naming_the_input() {
        for bad in ["", "24", "h", "-1h", "+1h", "1.5h", "1 h", " 1h", "1H", "1w", "1hh", "١h"] {
            assert_eq!(parse_duration(bad), Err(DurationError::Syntax(bad.to_owned())), "{bad:?}");
        }
        assert_eq!(
            parse_duration("x").unwrap_err().to_string(),
            "'x' is not a duration: use a number and a unit s, m, h or d, such as 0s, 90m, 24h or 7d"
        );
        assert_eq!(parse_duration("3651d"), Err(DurationError::TooLong("3651d".to_owned())));
        assert_eq!(
            parse_duration("9999999999999s"),
            Err(DurationError::TooLong("9999999999999s".to_owned()))
        );
    }

    #[test]
    fn formatting_is_exact_and_parses_back() {
        for text in ["0s", "90s", "90m", "24h", "7d", "30d", "1d12h30m5s", "36h"] {
            let parsed = parse_duration(text).unwrap();
            assert_eq!(parse_duration(&format_duration(parsed)), Ok(parsed), "{text}");
        }
        assert_eq!(format_duration(Duration::minutes(90)), "1h30m");
        assert_eq!(format_duration(Duration::hours(24)), "1d");
        assert_eq!(format_duration(Duration::seconds(90_061)), "1d1h1m1s");
    }
}
