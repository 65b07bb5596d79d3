//! The one proptest configuration every property test uses: `n` cases from a fixed seed
//! (another with `PROPTEST_RNG_SEED=<u64>`), so CI runs are repeatable. Failures are not written
//! to a `proptest-regressions` folder: a case worth keeping becomes a named test.

use proptest::test_runner::{Config, RngSeed};

pub fn cases(n: u32) -> Config {
    let config = Config::default();
    let rng_seed = match config.rng_seed {
        RngSeed::Random => RngSeed::Fixed(0x1eac_4041),
        chosen => chosen,
    };
    Config {
        cases: n,
        rng_seed,
        failure_persistence: None,
        ..config
    }
}

/// A fixed sequence of well-spread numbers (xorshift) from `seed`, for tests that make their
/// own data without proptest's shrinking.
pub fn numbers(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed.max(1);
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}
