//! Where a configuration comes from: the default file, a named file, or text in memory.

use std::path::{Path, PathBuf};

use super::{check_file, check_str, load_file, load_str, Config, Diagnostic};
use crate::error::Error;

/// `/etc/ipsec.conf`, what addconn reads when no `--config` is given.
pub const DEFAULT_CONFIG: &str = "/etc/ipsec.conf";

/// Where the configuration comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ConfigSource {
    /// addconn's default, [`DEFAULT_CONFIG`] (no `--config` is passed).
    #[default]
    Default,
    File(PathBuf),
    /// Text held by the caller; includes resolve against `include_dir`; `name` stands for the
    /// file in messages and in `--showonly` output.
    Text {
        name: String,
        text: String,
        include_dir: PathBuf,
    },
}

impl ConfigSource {
    /// The name messages give the configuration (the path, or the text's name).
    pub fn name(&self) -> String {
        match self {
            ConfigSource::Default => DEFAULT_CONFIG.to_string(),
            ConfigSource::File(p) => p.display().to_string(),
            ConfigSource::Text { name, .. } => name.clone(),
        }
    }

    /// Parses and resolves the configuration (see [`load_file`]).
    pub fn load(&self) -> Result<Config, Error> {
        match self {
            ConfigSource::Default => load_file(Path::new(DEFAULT_CONFIG)),
            ConfigSource::File(p) => load_file(p),
            ConfigSource::Text {
                name,
                text,
                include_dir,
            } => load_str(text, name, include_dir),
        }
    }

    /// Every problem of the configuration at once (see [`check_file`]).
    pub fn check(&self) -> Vec<Diagnostic> {
        match self {
            ConfigSource::Default => check_file(Path::new(DEFAULT_CONFIG)),
            ConfigSource::File(p) => check_file(p),
            ConfigSource::Text {
                name,
                text,
                include_dir,
            } => check_str(text, name, include_dir),
        }
    }
}
