//! Generated configurations for benchmarks and scale tests.
