//! The `ipsec addconn` steps of `ipsec auto`: the words it is given, and running them.

use crate::client::Xauth;
use crate::error::Error;
use crate::ops::{Options, Sink, StepOutcome};

/// Runs `ipsec addconn WORDS...` in-process.
pub fn run(
    words: &[String],
    _o: &Options,
    _sink: &mut dyn Sink,
    _xauth: &mut dyn Xauth,
) -> StepOutcome {
    StepOutcome {
        exit_status: 1,
        error: Some(Error::Usage(format!(
            "addconn is not available yet (ipsec addconn {})",
            words.join(" ")
        ))),
        unterminated: false,
    }
}
