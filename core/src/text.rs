//! Free text fields: trimmed, required or optional, bounded in length, and free of
//! control characters (which PostgreSQL cannot store, and no reader can see): a name
//! is one line; longer text may hold tabs and line breaks.

/// The trimmed one-line text when it has 1 to `max` characters.
pub fn required(value: &str, max: usize) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err("must not be empty".to_string());
    }
    no_control(trimmed, &[])?;
    bounded(trimmed, max)
}

/// The trimmed text, empty allowed, at most `max` characters, over several lines if
/// need be (`\r\n` is kept as `\n`).
pub fn optional(value: &str, max: usize) -> Result<String, String> {
    let text = value.trim().replace("\r\n", "\n");
    no_control(&text, &['\t', '\n'])?;
    bounded(&text, max)
}

/// Refuses any control character but those `allowed`, naming the first found.
pub fn no_control(value: &str, allowed: &[char]) -> Result<(), String> {
    match value
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && !allowed.contains(c))
    {
        None => Ok(()),
        Some((at, c)) => Err(format!(
            "must not contain control characters; character {} is U+{:04X}",
            at + 1,
            u32::from(c)
        )),
    }
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

    #[test]
    fn a_name_is_one_line_and_free_text_may_have_several() {
        assert_eq!(
            required("a\u{0}b", 10),
            Err("must not contain control characters; character 2 is U+0000".to_string())
        );
        assert!(required("two\nlines", 20).is_err());
        assert_eq!(
            optional("two\r\nlines\tand a tab", 40),
            Ok("two\nlines\tand a tab".to_string())
        );
        assert!(optional("bell\u{7}", 40).is_err());
        assert!(optional("escape\u{1b}[0m", 40).is_err());
    }
}
