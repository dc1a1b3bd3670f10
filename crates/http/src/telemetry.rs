//! Logs: one subscriber, built once, writing to stderr (stdout belongs to command output),
//! filtered by `RUST_LOG` (default `info`), as JSON or human-readable lines.
//!
//! ERROR is kept for faults of ours (a 500). actix-http logs a request it cannot parse (a
//! control character in a header, a URI over 65,534 bytes, a head over 128 KiB) at ERROR as
//! `stream error: request parse error: …`: those are the client's mistakes, so they are logged
//! again at INFO instead.

use std::fmt::{self, Write as _};
use std::io::IsTerminal;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;

/// Installs the global subscriber. Calling it again does nothing.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _already_installed = match format {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .finish()
            .with(ClientMistakes)
            .try_init(),
        LogFormat::Pretty => builder.compact().finish().with(ClientMistakes).try_init(),
    };
}

/// Where actix-http logs the requests it cannot parse.
const DISPATCHER: &str = "actix_http::h1::dispatcher";

/// Logs actix-http's ERROR about a request it could not parse at INFO instead.
struct ClientMistakes;

impl<S: Subscriber> Layer<S> for ClientMistakes {
    fn event_enabled(&self, event: &Event<'_>, _: Context<'_, S>) -> bool {
        let metadata = event.metadata();
        if *metadata.level() != Level::ERROR || metadata.target() != DISPATCHER {
            return true;
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        match message.0.strip_prefix("stream error: ") {
            Some(reason) if reason.starts_with("request parse error") => {
                tracing::info!(%reason, "a request that does not parse was refused");
                false
            }
            _ => true,
        }
    }
}

/// An event's message, as text.
struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        }
    }
}
