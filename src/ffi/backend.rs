//! The one place the C ABI reaches into the library to run an operation.
//!
//! Interim: until `ops` lands this drives `client::Exchange` directly for the operations that
//! need no configuration file; the ABI above it does not change when `ops` takes over.

use std::os::fd::RawFd;
use std::path::PathBuf;
use std::time::Duration;

use super::operation::ipsecauto_operation::{self, *};
use super::result::ipsecauto_result;
use crate::client::{Exchange, Progress, Xauth, DEFAULT_CTL_SOCKET};
use crate::error::{Error, Result};
use crate::reply::{Line, Rules};
use crate::request::{Request, Reread};
use crate::wire::Profile;

/// Where the configuration comes from.
// Read once `ops` runs the operations that need a configuration.
#[allow(dead_code)]
#[derive(Clone, Debug, Default)]
pub(crate) enum ConfigSource {
    /// The system's ipsec.conf.
    #[default]
    Default,
    File(PathBuf),
    /// Text in memory; `include` directives resolve against `include_dir`.
    Text {
        text: String,
        include_dir: Option<PathBuf>,
    },
}

/// Everything an operation is run with (the options of `ipsec auto`).
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub ctl_socket: PathBuf,
    pub config: ConfigSource,
    pub verbose: bool,
    pub utc: bool,
    pub asynchronous: bool,
    pub showonly: bool,
    pub remote_host: Option<String>,
    pub timeout: Option<Duration>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            ctl_socket: PathBuf::from(DEFAULT_CTL_SOCKET),
            config: ConfigSource::Default,
            verbose: false,
            utc: false,
            asynchronous: false,
            showonly: false,
            remote_host: None,
            timeout: None,
        }
    }
}

/// An operation under way: zero or more exchanges with pluto, one at a time.
pub(crate) struct Pending {
    exchange: Option<Exchange>,
    status: i32,
}

fn request(o: &Options, op: ipsecauto_operation, name: Option<&str>) -> Result<(Request, Rules)> {
    let mut r = Request {
        name: name.map(str::to_string),
        socket_named: true,
        ..Request::default()
    };
    let mut rules = Rules::Whack {
        asynchronous: false,
        ignore_errors: false,
    };
    r.list.utc = o.utc;
    match op {
        IPSECAUTO_OP_UP => {
            r.initiate = true;
            r.asynchronous = o.asynchronous;
            r.remote_host = o.remote_host.clone();
            rules = Rules::Whack {
                asynchronous: o.asynchronous,
                ignore_errors: false,
            };
        }
        IPSECAUTO_OP_DOWN => r.terminate = true,
        IPSECAUTO_OP_DELETE => r.delete = true,
        IPSECAUTO_OP_ROUTE => r.route = true,
        IPSECAUTO_OP_UNROUTE => r.unroute = true,
        IPSECAUTO_OP_STATUS => r.status = true,
        IPSECAUTO_OP_READY => r.listen = true,
        IPSECAUTO_OP_REREADSECRETS => r.reread.secrets = true,
        IPSECAUTO_OP_REREADALL => r.reread = Reread::ALL,
        IPSECAUTO_OP_REREADCERTS => r.reread.certs = true,
        IPSECAUTO_OP_FETCHCRLS => r.reread.fetch_crls = true,
        IPSECAUTO_OP_LISTALL => r.list.all = true,
        IPSECAUTO_OP_LISTCERTS => r.list.certs = true,
        IPSECAUTO_OP_LISTPUBKEYS => r.list.pubkeys = true,
        IPSECAUTO_OP_CHECKPUBKEYS => r.list.check_pubkeys = true,
        IPSECAUTO_OP_LISTCACERTS => r.list.cacerts = true,
        IPSECAUTO_OP_LISTCRLS => r.list.crls = true,
        IPSECAUTO_OP_PURGEOCSP => {
            r.list.all = true;
            r.purge_ocsp = true
        }
        IPSECAUTO_OP_ADD | IPSECAUTO_OP_REPLACE | IPSECAUTO_OP_START | IPSECAUTO_OP_ONDEMAND => {
            return Err(Error::Usage(format!(
                "{op:?} needs the configuration layer, not built yet"
            )))
        }
    }
    Ok((r, rules))
}

impl Pending {
    pub fn start(o: &Options, op: ipsecauto_operation, name: Option<&str>) -> Result<Pending> {
        if o.showonly {
            return Err(Error::Usage("showonly is not built yet".into()));
        }
        let (r, rules) = request(o, op, name)?;
        let bytes = Profile::V4_10.encode(&r)?;
        Ok(Pending {
            exchange: Some(Exchange::start(&o.ctl_socket, &bytes, rules)?),
            status: 0,
        })
    }

    pub fn fd(&self) -> Option<RawFd> {
        self.exchange.as_ref().map(Exchange::fd)
    }

    pub fn advance(
        &mut self,
        on_line: &mut dyn FnMut(&Line),
        xauth: &mut dyn Xauth,
    ) -> Result<Progress> {
        let Some(x) = self.exchange.as_mut() else {
            return Ok(Progress::Done);
        };
        let p = x.advance(on_line, xauth)?;
        if p == Progress::Done {
            self.status = x.exit_status();
            self.exchange = None;
        }
        Ok(p)
    }

    /// The exit status `ipsec auto` would give (final once `advance` says `Done`).
    pub fn exit_status(&self) -> i32 {
        self.exchange
            .as_ref()
            .map_or(self.status, Exchange::exit_status)
    }

    /// Stops at once: the socket is closed and pluto's further answer is not read.
    pub fn cancel(&mut self) {
        self.exchange = None;
    }

    /// The exit status `ipsec auto` gives for a failure before pluto's answer is complete.
    pub fn failure_status(code: ipsecauto_result) -> i32 {
        match code {
            ipsecauto_result::IPSECAUTO_USAGE => 2,
            _ => crate::reply::rc::WHACK_PROBLEM as i32,
        }
    }
}
