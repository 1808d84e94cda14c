//! The registry of diagnostic codes. Codes are stable: never renumber or
//! reuse one; retire it instead. Each code has a kebab-case name (usable in
//! `# trig: ignore[...]`), a default severity, a one-line summary (SARIF rule
//! metadata) and a long explanation for `trig explain`.

use super::Severity;

macro_rules! codes {
    ($( $variant:ident = $num:literal, $name:literal, $sev:ident, $summary:literal; )*) => {
        /// A stable diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $( $variant, )* }

        impl Code {
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The number, as in `T0101`.
            pub fn number(self) -> u16 { match self { $( Code::$variant => $num, )* } }

            /// The kebab-case name, as in `unknown-event`.
            pub fn name(self) -> &'static str { match self { $( Code::$variant => $name, )* } }

            pub fn default_severity(self) -> Severity { match self { $( Code::$variant => Severity::$sev, )* } }

            /// One sentence: what the code is about.
            pub fn summary(self) -> &'static str { match self { $( Code::$variant => $summary, )* } }

            /// The long explanation printed by `trig explain`: what, why, example, fix.
            pub fn explanation(self) -> &'static str {
                match self { $( Code::$variant => include_str!(concat!("explain/", stringify!($variant), ".md")), )* }
            }
        }
    };
}

codes! {
    // Lexical and syntax: T00xx
    SyntaxError = 1, "syntax-error", Error, "The text does not follow the trig grammar.";
    UnterminatedString = 2, "unterminated-string", Error, "A string is missing its closing quote.";
    InvalidEscape = 3, "invalid-escape", Error, "A string contains an unknown escape sequence.";
    LoneBrace = 4, "lone-brace", Error, "A message text contains a single `{` or `}` that is not an interpolation.";
    ElseNotSupported = 5, "else-not-supported", Error, "`else` is not part of the language; use `fallback` or a second rule.";
    InvalidDuration = 6, "invalid-duration", Error, "A duration is malformed, zero, or longer than 366 days.";
    InvalidClockTime = 7, "invalid-clock-time", Error, "A clock time is not between 00:00 and 23:59.";
    ChainedComparison = 8, "chained-comparison", Error, "Comparisons cannot be chained.";
    NestingTooDeep = 9, "nesting-too-deep", Error, "Expressions are nested too deeply.";
    InvalidEncoding = 10, "invalid-encoding", Error, "The file is not valid UTF-8.";
    InvalidNumber = 11, "invalid-number", Error, "A number is out of range for where it is used.";
    // Names: T01xx
    UnknownEvent = 101, "unknown-event", Error, "The event is not in the event schema.";
    UnknownProperty = 102, "unknown-property", Error, "The property is not defined for this event in the event schema.";
    DuplicateRule = 103, "duplicate-rule", Error, "Two rules have the same name.";
    BareName = 104, "bare-name", Error, "A bare name is used where a value is expected.";
    UnknownPath = 105, "unknown-path", Error, "A path does not start with `event`, an alias, `customer` or `now`.";
    InvalidAlias = 106, "invalid-alias", Error, "An alias is reserved or already used in the rule.";
    UnnamedRule = 107, "unnamed-rule", Warning, "A rule without a name loses its state when it moves in the file.";
    AmbiguousAbsence = 108, "ambiguous-absence", Warning, "`and not` ends the filter; the name after it is read as an event.";
    UnknownChannel = 109, "unknown-channel", Error, "The channel is not one of whatsapp, sms, email, viber, rcs.";
    EventInAbsence = 110, "event-in-absence", Error, "`and not event.…` reads as an absence of an event called `event`.";
    UnknownSuppression = 111, "unknown-suppression", Warning, "A `# trig: ignore[...]` names no known diagnostic.";
    // Types and rule structure: T02xx
    TypeMismatch = 201, "type-mismatch", Error, "A value has the wrong type for how it is used.";
    TypeConflict = 202, "type-conflict", Error, "A property is used as two different types.";
    InvalidCount = 203, "invalid-count", Error, "`N times` needs N of at least 2.";
    KeyNotAllowed = 204, "key-not-allowed", Error, "`key` is only for rules that wait or count.";
    WithinAfterFor = 205, "within-after-for", Error, "An absence after `for D` takes the wait as its window.";
    InvalidHoldout = 206, "invalid-holdout", Error, "A holdout must be a percentage strictly between 0% and 100%.";
    EmptyQuietWindow = 207, "empty-quiet-window", Error, "Quiet hours start and end at the same time.";
    DuplicateOption = 208, "duplicate-option", Error, "An option is given twice in one rule.";
    QuietWithoutTimezone = 209, "quiet-without-timezone", Warning, "Quiet hours with no time zone fall back to sending without deferral.";
    InvalidInactive = 210, "invalid-inactive", Error, "`inactive for D` takes no other modifiers.";
    KeyReadsLaterEvent = 211, "key-reads-later-event", Error, "The `key` of a `followed by` rule reads the second event, which is not known when the sequence starts.";
    // Channels and templates: T03xx
    UnknownTemplate = 301, "unknown-template", Error, "The template is not in the catalog for this channel.";
    TemplateNotApproved = 302, "template-not-approved", Error, "The template is not approved in the language used.";
    TemplateLanguage = 303, "template-language", Error, "The template language is missing, ambiguous or not available.";
    ParamCount = 304, "param-count", Error, "The number of template parameters does not match the template.";
    ParamNames = 305, "param-names", Error, "The named template parameters do not match the template.";
    InvalidParamValue = 306, "invalid-param-value", Error, "A WhatsApp parameter value breaks Meta's rules.";
    WhatsappFreeText = 307, "whatsapp-free-text", Error, "WhatsApp free text is only allowed as a reply within 24 hours.";
    SmsUnicode = 308, "sms-unicode", Note, "A character forces the SMS into UCS-2 encoding.";
    SmsSegments = 309, "sms-segments", Warning, "The SMS is longer than the configured number of segments.";
    MissingOptOut = 310, "missing-opt-out", Warning, "A marketing SMS has no opt-out wording.";
    MissingConsent = 311, "missing-consent", Warning, "A marketing send checks no customer consent.";
    TemplateRequired = 312, "template-required", Error, "This channel only sends catalog templates.";
    TextTooLong = 313, "text-too-long", Error, "The message text is longer than the channel allows.";
    // Project files: T04xx
    InvalidCatalog = 401, "invalid-catalog", Error, "A template catalog cannot be read.";
    DuplicateTemplate = 402, "duplicate-template", Error, "The same template name and language is in two catalog files.";
    InvalidConfig = 403, "invalid-config", Error, "`trig.toml` is malformed or has an unknown key.";
    InvalidSchema = 404, "invalid-schema", Error, "The event schema cannot be read.";
    // Rule tests: T05xx
    UntestedRule = 501, "untested-rule", Warning, "No rule test names this rule (`trig check --require-tests`).";
}

impl Code {
    /// `T0101`.
    pub fn id(self) -> String {
        format!("T{:04}", self.number())
    }

    /// Look a code up by id (`T0101`, case-insensitive) or name (`unknown-event`).
    pub fn parse(s: &str) -> Option<Code> {
        let s = s.trim();
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.id().eq_ignore_ascii_case(s) || c.name() == s)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "T{:04}", self.number())
    }
}
