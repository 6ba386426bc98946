//! Free text fields: trimmed, required or optional, and bounded in length.

/// The trimmed text when it has 1 to `max` characters.
pub fn required(value: &str, max: usize) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        Err("must not be empty".to_string())
    } else {
        bounded(trimmed, max)
    }
}

/// The trimmed text, empty allowed, at most `max` characters.
pub fn optional(value: &str, max: usize) -> Result<String, String> {
    bounded(value.trim(), max)
}

fn bounded(value: &str, max: usize) -> Result<String, String> {
    let length = value.chars().count();
    if length > max {
        Err(format!(
            "must be at most {max} characters (it has {length})"
        ))
    } else {
        Ok(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds() {
        assert_eq!(required("  PND  ", 10), Ok("PND".to_string()));
        assert!(required("   ", 10).is_err());
        assert_eq!(optional("", 10), Ok(String::new()));
        assert_eq!(
            required("abcdef", 5),
            Err("must be at most 5 characters (it has 6)".to_string())
        );
    }
}
