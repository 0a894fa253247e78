//! Personal data in newtypes that never print in clear.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! pii {
    ($(#[$doc:meta])* $name:ident, $label:literal) => {
        $(#[$doc])*
        ///
        /// `Debug` and `Display` print only that a value is there, never the value
        /// (PIPL: personal data stays out of logs). Read it with
        #[doc = concat!("[`", stringify!($name), "::expose`]")]
        /// when the host really needs it (to send a message, say). Serde writes the
        /// value in clear: storage is the host's business.
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value.
            pub fn new(value: impl Into<String>) -> $name {
                $name(value.into())
            }

            /// The value in clear. Call it only where the value is needed, never to log.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!($label, "(<redacted>)"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("<redacted>")
            }
        }
    };
}

pii!(
    /// A person's name.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::customer::PersonName;
    ///
    /// let name = PersonName::new("张三");
    /// assert_eq!(format!("{name:?}"), "PersonName(<redacted>)");
    /// assert_eq!(name.to_string(), "<redacted>");
    /// assert_eq!(name.expose(), "张三");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    PersonName,
    "PersonName"
);

pii!(
    /// A phone number, as the host stores it.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::customer::Phone;
    ///
    /// assert_eq!(format!("{:?}", Phone::new("+86 138 0000 0000")), "Phone(<redacted>)");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    Phone,
    "Phone"
);

pii!(
    /// An e-mail address, as the host stores it.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::customer::Email;
    ///
    /// assert_eq!(format!("{:?}", Email::new("a@example.com")), "Email(<redacted>)");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    Email,
    "Email"
);
