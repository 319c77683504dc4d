//! Forms: labelled fields with inline validation, a choice field, masked
//! secrets, Tab between fields, Enter to submit and Esc to cancel. The
//! onboarding, silence and install dialogs are all forms of this one model;
//! `ui::form` draws it.

use super::text_input::TextInput;

/// What a field accepts; checked as the operator types and again on submit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Optional,
    Required,
    /// A host name or an IP address.
    Host,
    /// 1–65535; empty means the default.
    Port,
    /// `key=value` pairs separated by commas; may be empty.
    Labels,
    /// Letters, digits, `-`, `_`, `.`.
    Name,
    /// Alertmanager matchers, comma separated (`alertname=X, gpu=~"1|2"`).
    Matchers,
    /// A duration of a minute or more (`30m`, `2h`, `1d`).
    Duration,
    /// A hosts list: `name [user@]address[:port]` entries, `;` or a line
    /// between them; may be empty.
    Hosts,
}

impl Check {
    pub fn check(self, v: &str) -> Result<(), String> {
        let v = v.trim();
        match self {
            Check::Optional => Ok(()),
            Check::Hosts if v.is_empty() => Ok(()),
            Check::Hosts => super::onboard::parse_hosts_field(v).map(|_| ()),
            Check::Matchers => super::remote::check_matchers(v),
            Check::Duration => match crate::config::parse_duration(v) {
                Some(d) if d.as_secs() >= 60 => Ok(()),
                _ => Err("a duration of a minute or more, like 30m, 2h, 1d".into()),
            },
            Check::Required if v.is_empty() => Err("required".into()),
            Check::Required => Ok(()),
            Check::Name if v.is_empty() => Err("required".into()),
            Check::Name => match v
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || "-_.".contains(*c)))
            {
                Some(c) => Err(format!("{c:?} is not allowed: letters, digits, - _ .")),
                None => Ok(()),
            },
            Check::Host if v.is_empty() => Err("required".into()),
            Check::Host => {
                if v.parse::<std::net::IpAddr>().is_ok()
                    || v.split('.').all(|part| {
                        !part.is_empty()
                            && part.len() <= 63
                            && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                            && !part.starts_with('-')
                    })
                {
                    Ok(())
                } else {
                    Err("not an IP address or host name".into())
                }
            }
            Check::Port if v.is_empty() => Ok(()),
            Check::Port => match v.parse::<u16>() {
                Ok(p) if p > 0 => Ok(()),
                _ => Err("a port is 1–65535".into()),
            },
            Check::Labels => {
                for pair in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    match pair.split_once('=') {
                        Some((k, _)) if !k.trim().is_empty() => {}
                        _ => return Err(format!("{pair:?}: write labels as key=value,key=value")),
                    }
                }
                Ok(())
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    /// Shown as `•`; never logged or echoed.
    Secret,
    /// One of a fixed list; ←→ or Space change it.
    Choice {
        options: Vec<String>,
        selected: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub label: String,
    pub kind: FieldKind,
    pub input: TextInput,
    pub check: Check,
    /// A word of help shown dim after the field while it is empty.
    pub hint: String,
    /// The validation message shown under the field.
    pub error: Option<String>,
    /// The label of another field: while that one is filled in, this one
    /// may stay empty (a name, or a pasted hosts list).
    pub unless_filled: Option<String>,
}

impl Field {
    pub fn text(label: &str, check: Check, hint: &str) -> Self {
        Self {
            label: label.into(),
            kind: FieldKind::Text,
            input: TextInput::default(),
            check,
            hint: hint.into(),
            error: None,
            unless_filled: None,
        }
    }

    /// May stay empty while the field labelled `other` is filled in.
    pub fn unless_filled(mut self, other: &str) -> Self {
        self.unless_filled = Some(other.into());
        self
    }

    pub fn secret(label: &str, hint: &str) -> Self {
        Self {
            kind: FieldKind::Secret,
            ..Self::text(label, Check::Optional, hint)
        }
    }

    pub fn choice(label: &str, options: &[&str]) -> Self {
        Self {
            kind: FieldKind::Choice {
                options: options.iter().map(|s| s.to_string()).collect(),
                selected: 0,
            },
            ..Self::text(label, Check::Optional, "")
        }
    }

    pub fn with_value(mut self, v: &str) -> Self {
        self.input.set(v);
        self
    }

    /// The value: the text (a secret exactly as typed, others trimmed), or
    /// the chosen option.
    pub fn value(&self) -> String {
        match &self.kind {
            FieldKind::Choice { options, selected } => {
                options.get(*selected).cloned().unwrap_or_default()
            }
            FieldKind::Secret => self.input.value().to_string(),
            FieldKind::Text => self.input.value().trim().to_string(),
        }
    }

    fn validate(&mut self) -> bool {
        self.error = self.check.check(&self.value()).err();
        self.error.is_none()
    }
}

/// What the form is for: decides what submitting it asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormPurpose {
    /// Add a node to the config (onboarding).
    AddNode,
    /// Install, upgrade or verify an exporter on the target nodes.
    Exporter(ExporterAction),
    /// Create an Alertmanager silence.
    Silence,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExporterAction {
    Install,
    Upgrade,
    Verify,
}

impl ExporterAction {
    pub fn word(self) -> &'static str {
        match self {
            ExporterAction::Install => "install",
            ExporterAction::Upgrade => "upgrade",
            ExporterAction::Verify => "verify",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub title: String,
    pub purpose: FormPurpose,
    pub fields: Vec<Field>,
    pub focus: usize,
}

impl Form {
    pub fn new(title: &str, purpose: FormPurpose, fields: Vec<Field>) -> Self {
        Self {
            title: title.into(),
            purpose,
            fields,
            focus: 0,
        }
    }

    pub fn focused(&mut self) -> Option<&mut Field> {
        self.fields.get_mut(self.focus)
    }

    /// Tab: checks the field being left, then moves on (wrapping).
    pub fn next(&mut self) {
        self.leave();
        if !self.fields.is_empty() {
            self.focus = (self.focus + 1) % self.fields.len();
        }
    }

    pub fn prev(&mut self) {
        self.leave();
        if !self.fields.is_empty() {
            self.focus = (self.focus + self.fields.len() - 1) % self.fields.len();
        }
    }

    fn leave(&mut self) {
        self.validate_field(self.focus);
    }

    /// Checks field `i`; an empty one excused by a filled-in other field
    /// passes.
    fn validate_field(&mut self, i: usize) -> bool {
        let excused = self.fields.get(i).is_some_and(|f| {
            f.value().is_empty()
                && f.unless_filled
                    .as_deref()
                    .is_some_and(|other| self.value(other).is_some_and(|v| !v.is_empty()))
        });
        match self.fields.get_mut(i) {
            Some(f) if excused => {
                f.error = None;
                true
            }
            Some(f) => f.validate(),
            None => true,
        }
    }

    /// A typed character: into a text field, or Space cycles a choice.
    pub fn type_char(&mut self, c: char) {
        let Some(f) = self.focused() else { return };
        match &mut f.kind {
            FieldKind::Choice { .. } if c == ' ' => self.cycle_choice(1),
            FieldKind::Choice { .. } => {}
            _ => {
                f.input.insert(c);
                // A message goes away as soon as the value is fixed.
                if f.error.is_some() {
                    f.validate();
                }
            }
        }
    }

    /// A paste into the focused field. Several lines pasted into a form
    /// with a hosts-list field are a hosts list: they go there, a `;`
    /// between lines (terminals send a line break as CR, LF or both).
    pub fn paste(&mut self, s: &str) {
        let s = &s.replace("\r\n", "\n").replace('\r', "\n");
        let lines = s.lines().filter(|l| !l.trim().is_empty()).count();
        if let Some(i) = self.fields.iter().position(|f| f.check == Check::Hosts)
            && (lines > 1 || self.focus == i)
        {
            self.focus = i;
            let entries: Vec<&str> = s
                .lines()
                .map(|l| l.split('#').next().unwrap_or("").trim())
                .filter(|l| !l.is_empty())
                .collect();
            let f = &mut self.fields[i];
            if !f.input.value().trim().is_empty() && !entries.is_empty() {
                f.input.end();
                f.input.insert_str("; ");
            }
            f.input.insert_str(&entries.join("; "));
            f.validate();
            return;
        }
        if let Some(f) = self.focused()
            && !matches!(f.kind, FieldKind::Choice { .. })
        {
            f.input.insert_str(s);
            if f.error.is_some() {
                f.validate();
            }
        }
    }

    pub fn edit(&mut self, op: impl FnOnce(&mut TextInput)) {
        if let Some(f) = self.focused()
            && !matches!(f.kind, FieldKind::Choice { .. })
        {
            op(&mut f.input);
            if f.error.is_some() {
                f.validate();
            }
        }
    }

    /// ←→ on a choice field.
    pub fn cycle_choice(&mut self, d: isize) {
        if let Some(Field {
            kind: FieldKind::Choice { options, selected },
            ..
        }) = self.fields.get_mut(self.focus)
            && !options.is_empty()
        {
            let n = options.len() as isize;
            *selected = ((*selected as isize + d).rem_euclid(n)) as usize;
        }
    }

    /// Enter: every field is checked; on the first error the focus goes
    /// there and `None` comes back, else the values by label.
    pub fn submit(&mut self) -> Option<Vec<(String, String)>> {
        let mut first_bad = None;
        for i in 0..self.fields.len() {
            if !self.validate_field(i) && first_bad.is_none() {
                first_bad = Some(i);
            }
        }
        if let Some(i) = first_bad {
            self.focus = i;
            return None;
        }
        Some(
            self.fields
                .iter()
                .map(|f| (f.label.clone(), f.value()))
                .collect(),
        )
    }

    /// The value of the field with this label.
    pub fn value(&self, label: &str) -> Option<String> {
        self.fields
            .iter()
            .find(|f| f.label == label)
            .map(Field::value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> Form {
        Form::new(
            "t",
            FormPurpose::AddNode,
            vec![
                Field::text("Name", Check::Name, "gpu-node-01"),
                Field::text("Port", Check::Port, "22"),
                Field::secret("Passphrase", ""),
                Field::choice("Exporter", &["auto", "dcgm"]),
            ],
        )
    }

    #[test]
    fn submit_focuses_the_first_bad_field() {
        let mut f = form();
        f.next();
        for c in "99999".chars() {
            f.type_char(c);
        }
        f.next();
        assert_eq!(f.submit(), None);
        assert_eq!(f.focus, 0);
        assert_eq!(f.fields[0].error.as_deref(), Some("required"));
        assert_eq!(f.fields[1].error.as_deref(), Some("a port is 1–65535"));
        for c in "n1".chars() {
            f.type_char(c);
        }
        assert_eq!(f.fields[0].error, None, "fixed as typed");
    }

    #[test]
    fn tab_wraps_and_choices_cycle() {
        let mut f = form();
        f.prev();
        assert_eq!(f.focus, 3);
        f.type_char(' ');
        assert_eq!(f.value("Exporter").as_deref(), Some("dcgm"));
        f.cycle_choice(1);
        assert_eq!(f.value("Exporter").as_deref(), Some("auto"));
        f.type_char('x');
        assert_eq!(f.value("Exporter").as_deref(), Some("auto"));
    }

    #[test]
    fn paste_fills_the_focused_field_only() {
        let mut f = form();
        f.paste("gpu-node-07\n");
        f.focus = 2;
        f.paste("s3cr3t");
        let v = f.submit().expect("valid");
        assert_eq!(v[0], ("Name".into(), "gpu-node-07".into()));
        assert_eq!(v[2], ("Passphrase".into(), "s3cr3t".into()));
        assert_eq!(v[1].1, "");
    }

    #[test]
    fn a_pasted_hosts_list_excuses_the_name_and_address() {
        let mut f = Form::new(
            "t",
            FormPurpose::AddNode,
            vec![
                Field::text("Name", Check::Name, "").unless_filled("Hosts"),
                Field::text("Address", Check::Host, "").unless_filled("Hosts"),
                Field::text("Hosts", Check::Hosts, ""),
            ],
        );
        assert_eq!(f.submit(), None, "nothing filled in");
        f.focus = 0;
        f.paste("# rack 1\rgpu-1 127.0.0.1\r\n\ngpu-2 ops@127.0.0.2:2222\r");
        assert_eq!(f.focus, 2, "a multi-line paste goes to the hosts list");
        assert_eq!(
            f.value("Hosts").as_deref(),
            Some("gpu-1 127.0.0.1; gpu-2 ops@127.0.0.2:2222")
        );
        assert!(f.submit().is_some(), "{:?}", f.fields);
        f.paste("gpu-3");
        assert!(f.submit().is_none());
        assert!(
            f.fields[2]
                .error
                .as_deref()
                .is_some_and(|e| e.contains("entry 3")),
            "{:?}",
            f.fields[2].error
        );
    }

    #[test]
    fn checks() {
        assert!(Check::Host.check("10.0.0.1").is_ok());
        assert!(Check::Host.check("fe80::1").is_ok());
        assert!(Check::Host.check("node-1.example").is_ok());
        assert!(Check::Host.check("bad host").is_err());
        assert!(Check::Labels.check("rack=r1, gpu_type=h100").is_ok());
        assert!(Check::Labels.check("rack").is_err());
        assert!(Check::Name.check("gpu node").is_err());
    }
}
