//! A wrapper that keeps secret values out of logs and error messages.

use std::fmt;

/// A secret value (password, token, private key, passphrase).
///
/// `Debug` and `Display` print `***`, so a secret that ends up in a `tracing` field,
/// an error or a `{:?}` dump of a larger struct never shows its content. Read it with
/// [`Sensitive::expose`] at the one place that needs the plain value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    /// Wraps a secret value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The plain value, for the code that hands it to a server or a Secret.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the plain value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::Sensitive;

    #[test]
    fn sensitive_debug_and_display_hide_the_value() {
        let secret = Sensitive::new(String::from("hunter2"));
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(format!("{secret}"), "***");
        assert_eq!(secret.expose(), "hunter2");
    }
}
