//! Delivery confidence: the IPA's five-point RAG scale.

use crate::vocabulary;

vocabulary! {
    /// How confident a programme's leaders are that it will deliver, worst first.
    Rating, "rating" {
        Red => "red",
        AmberRed => "amber_red",
        Amber => "amber",
        AmberGreen => "amber_green",
        Green => "green",
    }
}

impl Rating {
    /// A rationale is required for anything below green: a rating that is not green
    /// is only useful with the reason for it.
    pub const fn needs_rationale(self) -> bool {
        !matches!(self, Rating::Green)
    }

    /// What the rating says about delivery, after the IPA's definitions, for the
    /// person choosing one.
    pub const fn meaning(self) -> &'static str {
        match self {
            Rating::Red => {
                "Successful delivery looks unachievable: major issues that do not appear manageable or resolvable at this stage"
            }
            Rating::AmberRed => {
                "Successful delivery is in doubt: major risks or issues in several key areas need urgent action"
            }
            Rating::Amber => {
                "Successful delivery looks feasible, but significant issues already need management attention"
            }
            Rating::AmberGreen => {
                "Successful delivery looks probable, with constant attention so that risks do not become major issues"
            }
            Rating::Green => {
                "Successful delivery on time, on budget and to quality looks highly likely, with no major outstanding issues"
            }
        }
    }
}

/// Does a report with rating `new` turn the programme Red? Only when it was something
/// else before, or had no rating at all: Red after Red is no news.
pub fn turns_red(previous: Option<Rating>, new: Rating) -> bool {
    new == Rating::Red && previous != Some(Rating::Red)
}

/// Does a report with rating `new` take a Red programme out of Red?
pub fn leaves_red(previous: Option<Rating>, new: Rating) -> bool {
    previous == Some(Rating::Red) && new != Rating::Red
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_each_word() {
        for rating in Rating::ALL {
            assert_eq!(rating.as_str().parse::<Rating>(), Ok(*rating));
        }
        let error = "amber/red".parse::<Rating>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "'amber/red' is not a rating; use one of: red, amber_red, amber, amber_green, green"
        );
    }

    #[test]
    fn worst_sorts_first() {
        assert!(Rating::Red < Rating::AmberRed && Rating::AmberGreen < Rating::Green);
    }

    #[test]
    fn turning_red_needs_a_change_into_red() {
        assert!(turns_red(None, Rating::Red));
        assert!(turns_red(Some(Rating::Amber), Rating::Red));
        assert!(turns_red(Some(Rating::AmberRed), Rating::Red));
        assert!(!turns_red(Some(Rating::Red), Rating::Red));
        assert!(!turns_red(Some(Rating::Green), Rating::Amber));
        assert!(!turns_red(None, Rating::Green));
    }

    #[test]
    fn leaving_red_needs_a_red_before() {
        assert!(leaves_red(Some(Rating::Red), Rating::AmberRed));
        assert!(!leaves_red(Some(Rating::Red), Rating::Red));
        assert!(!leaves_red(None, Rating::Green));
    }

    #[test]
    fn json_uses_the_snake_case_word() {
        assert_eq!(
            serde_json::to_string(&Rating::AmberRed).unwrap(),
            "\"amber_red\""
        );
        assert_eq!(
            serde_json::from_str::<Rating>("\"green\"").unwrap(),
            Rating::Green
        );
        assert!(serde_json::from_str::<Rating>("\"GREEN\"").is_err());
    }
}
