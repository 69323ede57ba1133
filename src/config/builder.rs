//! Building a `conn` from key/value pairs, for programs that hold a connection as data (a
//! network manager's plugin, a provisioning tool) rather than as ipsec.conf text.
//!
//! The builder guarantees that what the caller passes stays a value: no value may end a line,
//! open or close a quote, start a comment or smuggle in a second keyword, and only keywords that
//! 4.10 accepts in a `conn` section are taken. Values with blanks or punctuation are quoted.

use crate::error::Error;

use super::keywords::{self, kv};

/// A `conn` section under construction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnBuilder {
    name: String,
    settings: Vec<(String, String)>,
}

/// Characters a conn name may hold: those 4.10 reads as one bare word, without anything that
/// ipsec auto's shell would split or expand.
fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._-+:@/~".contains(c)
}

/// Characters a value may hold without quotes.
fn bare_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._-+:@/%,~".contains(c)
}

impl ConnBuilder {
    /// Starts a conn named `name`.
    pub fn new(name: &str) -> Result<ConnBuilder, Error> {
        if name.is_empty() || name.starts_with('%') || !name.chars().all(name_char) {
            return Err(Error::Usage(format!(
                "conn name {name:?} is not allowed: use letters, digits and . _ - + : @ / ~, not starting with %"
            )));
        }
        Ok(ConnBuilder {
            name: name.to_string(),
            settings: Vec::new(),
        })
    }

    /// Sets `keyword=value`. Refuses unknown keywords, keywords that do not belong in a conn,
    /// `also=` (it would pull in other sections), a keyword given twice, and values that would
    /// change the file's structure (newline, carriage return, NUL, a double quote, other
    /// control characters).
    pub fn set(&mut self, keyword: &str, value: &str) -> Result<&mut ConnBuilder, Error> {
        let refuse = |why: &str| {
            Err(Error::Usage(format!(
                "conn {}: {keyword}: {why}",
                self.name
            )))
        };
        if !keyword
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            || keyword.is_empty()
        {
            return refuse("not a keyword");
        }
        let Some(def) = keywords::lookup(keyword) else {
            return refuse("unknown keyword");
        };
        if !def.is(kv::CONN) {
            return refuse("not allowed in a conn section");
        }
        if keyword.eq_ignore_ascii_case("also") {
            return refuse("also= is not allowed here: it would pull in other sections");
        }
        if let Some(bad) = value.chars().find(|c| c.is_control() || *c == '"') {
            return refuse(&format!(
                "value holds {bad:?}, which would change the file's structure"
            ));
        }
        if self
            .settings
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(keyword))
        {
            return refuse("given twice");
        }
        self.settings.push((keyword.to_string(), value.to_string()));
        Ok(self)
    }

    /// The conn's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The section as ipsec.conf text.
    pub fn to_text(&self) -> String {
        let mut s = format!("conn {}\n", self.name);
        for (k, v) in &self.settings {
            if !v.is_empty() && v.chars().all(bare_char) {
                s.push_str(&format!("\t{k}={v}\n"));
            } else {
                s.push_str(&format!("\t{k}=\"{v}\"\n"));
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_cannot_inject_structure() {
        let mut b = ConnBuilder::new("vpn").unwrap();
        for evil in ["x\n\tauthby=never", "x\"", "a\0b", "x\rleft=1.2.3.4"] {
            assert!(b.set("leftid", evil).is_err(), "{evil:?}");
        }
        assert!(b.set("also", "other").is_err());
        assert!(b.set("left=1.2.3.4\n", "x").is_err());
        assert!(b.set("nosuchkeyword", "x").is_err());
        assert!(b.set("plutodebug", "all").is_err(), "config setup only");
        assert!(ConnBuilder::new("a b").is_err());
        assert!(ConnBuilder::new("%default").is_err());
        assert!(ConnBuilder::new("").is_err());
    }

    #[test]
    fn awkward_values_are_quoted_and_read_back_whole() {
        let mut b = ConnBuilder::new("vpn").unwrap();
        b.set("left", "198.51.100.45").unwrap();
        b.set("right", "198.51.100.23").unwrap();
        b.set("authby", "secret").unwrap();
        b.set("leftid", "C=CH, O=Example # not a comment, CN=west")
            .unwrap();
        b.set("rightid", "").unwrap();
        let text = b.to_text();
        let cfg = crate::config::load_str(&text, "builder", std::path::Path::new("/")).unwrap();
        let c = cfg.conn("vpn").unwrap();
        let id = c
            .end(crate::config::Side::Left)
            .get(crate::config::EndKw::Id)
            .unwrap();
        assert_eq!(id.raw, "C=CH, O=Example # not a comment, CN=west");
        assert!(b.set("leftid", "again").is_err(), "twice");
    }
}
