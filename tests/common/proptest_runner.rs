//! Property-test runners: `PROPTEST_CASES` cases, else the test's own
//! budget; no failure files written into the tree.

use proptest::test_runner::{Config, TestRunner};

pub fn runner(default_cases: u32) -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}
