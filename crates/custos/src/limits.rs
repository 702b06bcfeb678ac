//! The connection-limit options of the servers that face clients (`custos serve`, `custos
//! gateway`), turned into the listener's [`Limits`]. The other limits keep the listener's
//! defaults.

use std::time::Duration;

use custos_listener::Limits;

/// `--max-connections`, `--max-connections-per-address`, `--header-read-timeout`, `--idle-timeout`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct LimitArgs {
    /// Open connections at most; further clients wait until one closes.
    #[arg(long, env = "CUSTOS_MAX_CONNECTIONS", value_name = "N", default_value_t = 4096,
          value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// Open connections at most from one client address (IPv6: one /64); more are closed at once.
    /// Behind a proxy all connections come from the proxy: raise this to --max-connections.
    #[arg(long, env = "CUSTOS_MAX_CONNECTIONS_PER_ADDRESS", value_name = "N", default_value_t = 256,
          value_parser = clap::value_parser!(u32).range(1..))]
    max_connections_per_address: u32,
    /// Seconds a client may take to send its first request after connecting (TLS included), and
    /// on HTTP/1.1 to send each request's headers.
    #[arg(long, env = "CUSTOS_HEADER_READ_TIMEOUT", value_name = "SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_read_timeout: u64,
    /// Seconds a connection may stay open with no request in flight (HTTP/2 PINGs do not count).
    #[arg(long, env = "CUSTOS_IDLE_TIMEOUT", value_name = "SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    idle_timeout: u64,
}

impl LimitArgs {
    /// The listener limits these options ask for.
    pub(crate) fn limits(&self) -> Limits {
        let count = |n: u32| usize::try_from(n).unwrap_or(usize::MAX);
        Limits {
            max_connections: count(self.max_connections),
            max_connections_per_address: count(self.max_connections_per_address),
            header_read_timeout: Duration::from_secs(self.header_read_timeout),
            idle_timeout: Duration::from_secs(self.idle_timeout),
            ..Limits::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        limits: LimitArgs,
    }

    #[test]
    fn the_defaults_are_the_listeners() {
        assert_eq!(Cli::try_parse_from(["x"]).unwrap().limits.limits(), Limits::default());
    }

    #[test]
    fn flags_set_the_limits_and_zero_is_refused() {
        let cli = Cli::try_parse_from([
            "x",
            "--max-connections",
            "100",
            "--max-connections-per-address",
            "100",
            "--header-read-timeout",
            "2",
            "--idle-timeout",
            "30",
        ])
        .unwrap();
        let limits = cli.limits.limits();
        assert_eq!((limits.max_connections, limits.max_connections_per_address), (100, 100));
        assert_eq!(limits.header_read_timeout, Duration::from_secs(2));
        assert_eq!(limits.idle_timeout, Duration::from_secs(30));
        for flag in
            ["--max-connections", "--max-connections-per-address", "--header-read-timeout", "--idle-timeout"]
        {
            assert!(Cli::try_parse_from(["x", flag, "0"]).is_err(), "{flag} 0");
        }
    }
}
