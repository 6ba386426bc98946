//! The sign-in throttle's rules: when a password may be checked, given the failures
//! already recorded. A guesser is slowed down per account and address; an account
//! under attack from many addresses still admits its owner from an address that has
//! not failed against it.

use std::time::Duration;

/// Checked guesses allowed per account from one address in [`ADDRESS_WINDOW`].
pub const PER_ADDRESS: u64 = 5;
pub const ADDRESS_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures per account from all addresses in [`ACCOUNT_WINDOW`] before the account
/// counts as under attack.
pub const PER_ACCOUNT: u64 = 20;
pub const ACCOUNT_WINDOW: Duration = Duration::from_secs(60 * 60);
/// Under attack, one check per account in this time, and only from an address with
/// no failure against the account in [`ACCOUNT_WINDOW`].
pub const UNDER_ATTACK_SPACING: Duration = Duration::from_secs(5);

/// What is recorded of earlier attempts at one account, each counted from the moment
/// its password check began (a check in progress counts as a failure).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attempts {
    /// Failures from this address in [`ADDRESS_WINDOW`], and the age of the oldest.
    pub from_address: u64,
    pub oldest_from_address: Option<Duration>,
    /// Failures from this address in [`ACCOUNT_WINDOW`], and the age of the oldest.
    pub from_address_in_hour: u64,
    pub oldest_from_address_in_hour: Option<Duration>,
    /// Failures from every address in [`ACCOUNT_WINDOW`].
    pub at_account: u64,
    /// How long ago the latest attempt at the account began, from anywhere.
    pub latest_at_account: Option<Duration>,
}

/// Whether a password may be checked now, or how long to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Check,
    Wait(Duration),
}

/// One earlier attempt at the account, as the throttle sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Earlier {
    pub same_address: bool,
    /// How long ago its password check began.
    pub age: Duration,
    /// Failed, or still being checked.
    pub failed: bool,
}

impl Attempts {
    /// The counts the rules need, from the account's attempts in [`ACCOUNT_WINDOW`].
    pub fn tally(earlier: &[Earlier]) -> Attempts {
        let mut attempts = Attempts::default();
        for attempt in earlier.iter().filter(|a| a.age < ACCOUNT_WINDOW) {
            attempts.latest_at_account = Some(
                attempts
                    .latest_at_account
                    .map_or(attempt.age, |age| age.min(attempt.age)),
            );
            if !attempt.failed {
                continue;
            }
            attempts.at_account += 1;
            if attempt.same_address {
                attempts.from_address_in_hour += 1;
                attempts.oldest_from_address_in_hour =
                    attempts.oldest_from_address_in_hour.max(Some(attempt.age));
                if attempt.age < ADDRESS_WINDOW {
                    attempts.from_address += 1;
                    attempts.oldest_from_address =
                        attempts.oldest_from_address.max(Some(attempt.age));
                }
            }
        }
        attempts
    }

    pub fn decide(&self) -> Decision {
        if self.from_address >= PER_ADDRESS {
            return Decision::Wait(remaining(ADDRESS_WINDOW, self.oldest_from_address));
        }
        if self.at_account < PER_ACCOUNT {
            return Decision::Check;
        }
        if self.from_address_in_hour > 0 {
            return Decision::Wait(remaining(ACCOUNT_WINDOW, self.oldest_from_address_in_hour));
        }
        match self.latest_at_account {
            Some(age) if age < UNDER_ATTACK_SPACING => {
                Decision::Wait(UNDER_ATTACK_SPACING.saturating_sub(age))
            }
            _ => Decision::Check,
        }
    }
}

/// What is left of `window` after `age`, at least a second (Retry-After is in seconds).
fn remaining(window: Duration, age: Option<Duration>) -> Duration {
    let left = window.saturating_sub(age.unwrap_or_default());
    left.max(Duration::from_secs(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn an_address_gets_a_handful_of_guesses_per_quarter_hour() {
        let mut attempts = Attempts {
            from_address: PER_ADDRESS - 1,
            oldest_from_address: Some(secs(60)),
            ..Attempts::default()
        };
        assert_eq!(attempts.decide(), Decision::Check);
        attempts.from_address = PER_ADDRESS;
        assert_eq!(attempts.decide(), Decision::Wait(secs(14 * 60)));
    }

    #[test]
    fn an_account_under_attack_admits_a_fresh_address_one_at_a_time() {
        let fresh = Attempts {
            at_account: PER_ACCOUNT,
            latest_at_account: Some(secs(60)),
            ..Attempts::default()
        };
        assert_eq!(fresh.decide(), Decision::Check);
        let busy = Attempts {
            latest_at_account: Some(secs(2)),
            ..fresh
        };
        assert_eq!(busy.decide(), Decision::Wait(secs(3)));
    }

    #[test]
    fn under_attack_an_address_that_failed_waits_for_the_hour() {
        let attempts = Attempts {
            from_address: 1,
            oldest_from_address: Some(secs(20 * 60)),
            from_address_in_hour: 2,
            oldest_from_address_in_hour: Some(secs(50 * 60)),
            at_account: PER_ACCOUNT + 3,
            latest_at_account: Some(secs(60)),
        };
        assert_eq!(attempts.decide(), Decision::Wait(secs(10 * 60)));
    }

    #[test]
    fn the_tally_counts_failures_by_address_and_window() {
        let earlier = [
            Earlier {
                same_address: true,
                age: secs(10),
                failed: true,
            },
            Earlier {
                same_address: true,
                age: secs(20 * 60),
                failed: true,
            },
            Earlier {
                same_address: false,
                age: secs(3),
                failed: false,
            },
            Earlier {
                same_address: false,
                age: secs(30),
                failed: true,
            },
            Earlier {
                same_address: true,
                age: secs(2 * 60 * 60),
                failed: true,
            },
        ];
        assert_eq!(
            Attempts::tally(&earlier),
            Attempts {
                from_address: 1,
                oldest_from_address: Some(secs(10)),
                from_address_in_hour: 2,
                oldest_from_address_in_hour: Some(secs(20 * 60)),
                at_account: 3,
                latest_at_account: Some(secs(3)),
            }
        );
    }

    #[test]
    fn a_wait_is_never_less_than_a_second() {
        let attempts = Attempts {
            from_address: PER_ADDRESS,
            oldest_from_address: Some(ADDRESS_WINDOW),
            ..Attempts::default()
        };
        assert_eq!(attempts.decide(), Decision::Wait(secs(1)));
    }
}
