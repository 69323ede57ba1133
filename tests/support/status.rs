//! Reading pluto's `whack --status` output: which SAs exist and in which state.
//!
//! A state line looks like
//! `000 #1: "psk":500 STATE_V2_ESTABLISHED_IKE_SA (established IKE SA); REKEY in 27977s; ...`.
//! Whether a state is "established" follows pluto's own state categories (ikev1_states.c and
//! ikev2_states.c: CAT_ESTABLISHED_IKE_SA / CAT_ESTABLISHED_CHILD_SA), by state name.

/// States pluto counts as an established IKE SA (IKEv2, then IKEv1 main/aggressive/XAUTH/ModeCFG).
pub const ESTABLISHED_IKE: &[&str] = &[
    "STATE_V2_ESTABLISHED_IKE_SA",
    "STATE_MAIN_I4",
    "STATE_MAIN_R3",
    "STATE_AGGR_I2",
    "STATE_AGGR_R2",
    "STATE_XAUTH_I0",
    "STATE_XAUTH_I1",
    "STATE_XAUTH_R0",
    "STATE_XAUTH_R1",
    "STATE_MODE_CFG_I1",
    "STATE_MODE_CFG_R1",
    "STATE_MODE_CFG_R2",
];

/// States of an established child (IPsec) SA. IKEv1's STATE_QUICK_I1/R0/R1 share the category
/// but are not established yet, so they are left out.
pub const ESTABLISHED_CHILD: &[&str] = &[
    "STATE_V2_ESTABLISHED_CHILD_SA",
    "STATE_QUICK_I2",
    "STATE_QUICK_R2",
];

/// One SA as `--status` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sa {
    pub serial: u64,
    /// The connection name, without an instance suffix such as `[1]`.
    pub conn: String,
    /// e.g. `STATE_V2_ESTABLISHED_IKE_SA`.
    pub state: String,
    /// The text in parentheses, e.g. `established IKE SA`.
    pub description: String,
    /// The whole line.
    pub line: String,
}

impl Sa {
    pub fn is_established_ike(&self) -> bool {
        ESTABLISHED_IKE.contains(&self.state.as_str())
    }

    pub fn is_established_child(&self) -> bool {
        ESTABLISHED_CHILD.contains(&self.state.as_str())
    }
}

/// Every SA state line in `status`.
pub fn sas(status: &str) -> Vec<Sa> {
    status.lines().filter_map(parse_state_line).collect()
}

fn parse_state_line(line: &str) -> Option<Sa> {
    let rest = line
        .strip_prefix("000 ")
        .unwrap_or(line)
        .strip_prefix('#')?;
    let (serial, rest) = rest.split_once(": \"")?;
    let serial = serial.parse().ok()?;
    let (conn, rest) = rest.split_once('"')?;
    // Then an optional instance and peer (`[2] 192.0.2.9`), `:port`, maybe `(tcp)`, and
    // ` STATE_NAME (description);`.
    let (_, rest) = rest.split_once(" STATE_")?;
    let (state, rest) = rest.split_once(" (")?;
    let state = format!("STATE_{state}");
    let (description, _) = rest.split_once(')')?;
    Some(Sa {
        serial,
        conn: conn.to_string(),
        state,
        description: description.to_string(),
        line: line.to_string(),
    })
}

/// The established IKE SAs of `conn`.
pub fn established_ike(status: &str, conn: &str) -> Vec<Sa> {
    sas(status)
        .into_iter()
        .filter(|s| s.conn == conn && s.is_established_ike())
        .collect()
}

/// The established child SAs of `conn`.
pub fn established_child(status: &str, conn: &str) -> Vec<Sa> {
    sas(status)
        .into_iter()
        .filter(|s| s.conn == conn && s.is_established_child())
        .collect()
}

/// The routing word(s) of `conn`'s first status line, e.g. `unrouted`, `prospective erouted`,
/// `erouted`: the text between `...peer; ` and `; eroute owner`.
pub fn routing(status: &str, conn: &str) -> Option<String> {
    let head = format!("000 \"{conn}\": ");
    status.lines().find_map(|l| {
        let rest = l.strip_prefix(&head)?;
        let (_, tail) = rest.split_once("; ")?;
        let (routing, _) = tail.split_once("; eroute owner")?;
        Some(routing.to_string())
    })
}

/// The totals line `IKE SAs: total(N), ...` and `IPsec SAs: total(N), ...` as (IKE, IPsec).
pub fn totals(status: &str) -> (u32, u32) {
    let total = |prefix: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix("000 ")?.strip_prefix(prefix))
            .and_then(|r| r.strip_prefix("total(")?.split_once(')'))
            .and_then(|(n, _)| n.parse().ok())
            .unwrap_or(0)
    };
    (total("IKE SAs: "), total("IPsec SAs: "))
}
