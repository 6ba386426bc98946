//! Codes that identify things in URLs and files: `pnd-transformation`, `avon-and-somerset`.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error(
        "'{value}' is not a valid {kind}: use 2 to 64 lowercase letters, digits and single hyphens, e.g. {example}"
    )]
    Invalid {
        kind: &'static str,
        value: String,
        example: &'static str,
    },
}

/// Checks the shared slug shape: 2-64 of `[a-z0-9-]`, no leading, trailing or double hyphen.
pub fn validate(value: &str, kind: &'static str, example: &'static str) -> Result<(), SlugError> {
    let ok = (2..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-')
        && !value.contains("--");
    if ok {
        Ok(())
    } else {
        Err(SlugError::Invalid {
            kind,
            value: value.to_string(),
            example,
        })
    }
}

/// Declares a slug-shaped identifier type with a validating `FromStr`/`parse` and serde.
#[macro_export]
macro_rules! slug_type {
    ($(#[$meta:meta])* $name:ident, $kind:literal, $example:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn parse(value: &str) -> Result<Self, $crate::slug::SlugError> {
                let value = value.trim();
                $crate::slug::validate(value, $kind, $example)?;
                Ok($name(value.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::slug::SlugError;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Self::parse(value)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                Self::parse(&text).map_err(::serde::de::Error::custom)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_lowercase_words_joined_by_single_hyphens() {
        for good in [
            "pnd",
            "avon-and-somerset",
            "esn",
            "hmt-police-technology-2024-28",
        ] {
            assert!(validate(good, "code", "x").is_ok(), "{good}");
        }
    }

    #[test]
    fn rejects_anything_else() {
        let too_long = "a".repeat(65);
        for bad in [
            "",
            "a",
            "PND",
            "pnd ",
            "-pnd",
            "pnd-",
            "p--nd",
            "pnd_x",
            "pnd/x",
            too_long.as_str(),
        ] {
            assert!(validate(bad, "code", "x").is_err(), "{bad}");
        }
    }
}
