//! Key material for tests: raw RSA host keys and a small X.509 PKI in NSS databases.
