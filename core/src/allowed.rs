//! Which types a deployment, or an upload link, allows: by default every type but active
//! content (pages, scripts, programs: what a browser renders with scripts or a system runs when
//! opened); `ALLOWED_TYPES` narrows a deployment to a list, and a link narrows further.
//!
//! A list admits a type directly, through its alias family, or through its container (allowing
//! ZIPs allows `.docx`; allowing `.docx` never allows every ZIP). Active content passes a list
//! only when the list names its type itself (`policy::verdict`); under the default it never
//! does.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::kinds::{Kind, container_of, family, is_active_type, normalize_type};

/// Bytes whose type nothing recognises: allowed as such by default (still scanned).
pub const OCTET_STREAM: &str = "application/octet-stream";

/// How the default policy is spelled on the wire and in `ALLOWED_TYPES`.
pub const ALL_BUT_ACTIVE_CONTENT: &str = "all_but_active_content";

/// Types of programs a sniffer may detect whatever the name says: refused by default, like the
/// active content of the extension table (`kinds::KINDS`).
const PROGRAMS: &[&str] = &[
    "application/vnd.microsoft.portable-executable",
    "application/x-msdownload",
    "application/x-dosexec",
    "application/x-executable",
    "application/x-elf",
    "application/x-sharedlib",
    "application/x-mach-binary",
    "application/vnd.android.dex",
    "application/vnd.android.dey",
    "application/java",
    "application/wasm",
    "application/x-llvm",
    "application/x-shockwave-flash",
    "application/x-google-chrome-extension",
    "application/x-rpm",
    "text/x-shellscript",
    "application/x-sh",
];

/// Whether `t` (normalized) is active content or a program: never allowed by default.
pub fn is_active_or_program(t: &str) -> bool {
    is_active_type(t) || PROGRAMS.contains(&t)
}

/// A deployment's or a link's allowed types.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TypePolicy {
    /// Every type but active content and programs.
    #[default]
    AllButActiveContent,
    /// These types (normalized, lowercase), their alias families and what is built on them.
    Only(Vec<String>),
}

impl Serialize for TypePolicy {
    /// The list, or `"all_but_active_content"`: what clients are told is allowed.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::AllButActiveContent => s.serialize_str(ALL_BUT_ACTIVE_CONTENT),
            Self::Only(list) => list.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for TypePolicy {
    /// What [`Serialize`] writes: the list, or `"all_but_active_content"` (clients read it back).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Word(String),
            List(Vec<String>),
        }
        match Wire::deserialize(d)? {
            Wire::Word(w) if w == ALL_BUT_ACTIVE_CONTENT => Ok(Self::AllButActiveContent),
            Wire::Word(w) => Err(serde::de::Error::custom(format!(
                "expected a list of types or \"{ALL_BUT_ACTIVE_CONTENT}\", not \"{w}\""
            ))),
            Wire::List(l) => Ok(Self::only(l)),
        }
    }
}

impl TypePolicy {
    /// A list policy, normalized (empty entries dropped).
    pub fn only<I, S>(types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::Only(
            types
                .into_iter()
                .map(|t| normalize_type(t.as_ref()))
                .filter(|t| !t.is_empty())
                .collect(),
        )
    }

    /// `ALLOWED_TYPES`: unset, empty or `all_but_active_content` is the default; else a
    /// comma-separated list.
    pub fn from_env(raw: Option<&str>) -> Self {
        match raw.map(str::trim) {
            None | Some("") => Self::AllButActiveContent,
            Some(v) if v.eq_ignore_ascii_case(ALL_BUT_ACTIVE_CONTENT) => Self::AllButActiveContent,
            Some(v) => Self::only(v.split(',')),
        }
    }

    /// The inverse of [`TypePolicy::from_env`].
    pub fn to_env(&self) -> String {
        match self {
            Self::AllButActiveContent => ALL_BUT_ACTIVE_CONTENT.to_owned(),
            Self::Only(list) => list.join(","),
        }
    }

    /// Whether a file declared or detected as `t` (normalized) may be uploaded.
    pub fn admits(&self, t: &str) -> bool {
        match self {
            Self::AllButActiveContent => !t.is_empty() && !is_active_or_program(t),
            Self::Only(list) => is_allowed(list, t),
        }
    }

    /// Whether this policy names an active kind's type itself: the only way active content is
    /// admitted, and never under the default.
    pub fn names_active(&self, kind: &Kind) -> bool {
        match self {
            Self::AllButActiveContent => false,
            Self::Only(list) => kind.named_by(list),
        }
    }

    /// How this policy spells `t` (normalized) when it admits it (see [`allowed_spelling`]).
    pub fn spelling(&self, t: &str) -> Option<String> {
        match self {
            Self::AllButActiveContent => self.admits(t).then(|| t.to_owned()),
            Self::Only(list) => allowed_spelling(list, t),
        }
    }

    /// What a link allows, within this (the deployment's) policy: the link's list, less what
    /// the deployment no longer allows; a link without a list of its own follows the
    /// deployment.
    pub fn narrowed_by(&self, link: &TypePolicy) -> TypePolicy {
        match (self, link) {
            (_, Self::AllButActiveContent) => self.clone(),
            (Self::AllButActiveContent, Self::Only(l)) => Self::Only(l.clone()),
            (Self::Only(d), Self::Only(l)) => Self::Only(
                l.iter()
                    .filter(|t| is_allowed(d, t) || d.contains(t))
                    .cloned()
                    .collect(),
            ),
        }
    }

    /// A link's list asked of this (the deployment's) policy: each type as the deployment
    /// spells it, once.
    pub fn subset(&self, asked: &[String]) -> Result<TypePolicy, NotASubset> {
        if asked.is_empty() {
            return Err(NotASubset::Empty);
        }
        let mut out: Vec<String> = Vec::new();
        for raw in asked {
            let t = normalize_type(raw);
            // Stored as the deployment spells it (`image/jpg` asked, `image/jpeg` kept), so one
            // type never appears twice under two aliases.
            let spelled = (t.len() <= 100).then(|| self.spelling(&t)).flatten();
            let Some(spelled) = spelled else {
                return Err(NotASubset::NotAllowed(raw.clone()));
            };
            if !out.iter().any(|o| family(o) == family(&spelled)) {
                out.push(spelled);
            }
        }
        Ok(Self::Only(out))
    }

    /// In words, for messages: the list, or what the default leaves out.
    pub fn describe(&self) -> String {
        match self {
            Self::AllButActiveContent => {
                "any type but programs, scripts and web pages (all_but_active_content)".to_owned()
            }
            Self::Only(list) => list.join(", "),
        }
    }
}

/// Why a link's list is not one of a deployment's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotASubset {
    /// No type at all.
    Empty,
    /// This type (as asked) is not allowed.
    NotAllowed(String),
}

/// Whether the allow-list entry `entry` admits type `t`: the same family, or `entry` is the
/// container `t` is built on (allowing ZIPs allows `.docx`; allowing `.docx` never allows
/// every ZIP).
pub fn admits(entry: &str, t: &str) -> bool {
    let (e, t) = (family(entry), family(t));
    e == t || container_of(t) == Some(e)
}

/// Whether `content_type` (normalized) is on the allow-list, directly, through its family, or
/// through its container.
pub fn is_allowed(allowed: &[String], content_type: &str) -> bool {
    allowed.iter().any(|a| admits(a, content_type))
}

/// How an allow-list spells `content_type` (normalized): its own entry, matched directly or
/// through its family, or the type itself when the list admits it through its container (a
/// link that asks for `.docx` of a deployment that allows ZIPs allows `.docx`, not every ZIP);
/// `None` when it is not allowed.
pub fn allowed_spelling(allowed: &[String], content_type: &str) -> Option<String> {
    if content_type.is_empty() {
        return None;
    }
    let wanted = family(content_type);
    allowed
        .iter()
        .find(|a| a.as_str() == content_type)
        .or_else(|| allowed.iter().find(|a| family(a) == wanted))
        .cloned()
        .or_else(|| is_allowed(allowed, content_type).then(|| content_type.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

    #[test]
    fn the_default_allows_everything_but_active_content_and_programs() {
        let d = TypePolicy::default();
        for ok in [
            DOCX,
            "image/heic",
            "image/heif",
            OCTET_STREAM,
            "application/x-7z-compressed",
        ] {
            assert!(d.admits(ok), "{ok}");
        }
        for refused in [
            "text/html",
            "image/svg+xml",
            "application/vnd.microsoft.portable-executable",
            "application/x-executable",
            "text/x-shellscript",
            "",
        ] {
            assert!(!d.admits(refused), "{refused}");
        }
        let exe = crate::kinds::of_name("setup.exe").unwrap();
        assert!(!d.names_active(exe));
        assert!(TypePolicy::only(["application/x-msdownload"]).names_active(exe));
    }

    #[test]
    fn a_list_narrows_and_says_what_it_allows() {
        let pdf = TypePolicy::only(["Application/PDF"]);
        assert!(pdf.admits("application/pdf"));
        assert!(!pdf.admits(OCTET_STREAM));
        assert_eq!(
            serde_json::to_value(&pdf).unwrap(),
            serde_json::json!(["application/pdf"])
        );
        assert_eq!(
            serde_json::to_value(TypePolicy::default()).unwrap(),
            serde_json::json!("all_but_active_content")
        );
    }

    #[test]
    fn the_environment_spells_it_both_ways() {
        for raw in [None, Some(""), Some("  "), Some("all_but_active_content")] {
            assert_eq!(TypePolicy::from_env(raw), TypePolicy::AllButActiveContent);
        }
        let p = TypePolicy::from_env(Some("Image/PNG, text/plain"));
        assert_eq!(p, TypePolicy::only(["image/png", "text/plain"]));
        assert_eq!(TypePolicy::from_env(Some(&p.to_env())), p);
        let d = TypePolicy::default();
        assert_eq!(TypePolicy::from_env(Some(&d.to_env())), d);
    }

    #[test]
    fn a_link_narrows_within_the_deployment() {
        let d = TypePolicy::default();
        assert_eq!(
            d.subset(&["image/jpg".into(), DOCX.into()]),
            Ok(TypePolicy::only(["image/jpg", DOCX]))
        );
        assert_eq!(
            d.subset(&["text/html".into()]),
            Err(NotASubset::NotAllowed("text/html".into()))
        );
        assert_eq!(d.subset(&[]), Err(NotASubset::Empty));
        let zips = TypePolicy::only(["application/zip", "image/jpeg"]);
        assert_eq!(
            zips.subset(&["image/jpg".into(), DOCX.into(), "image/jpeg".into()]),
            Ok(TypePolicy::only(["image/jpeg", DOCX]))
        );
        assert_eq!(
            zips.subset(&["Application/PDF".into()]),
            Err(NotASubset::NotAllowed("Application/PDF".into()))
        );
        // A link without a list follows the deployment; a list loses what the deployment
        // stopped allowing.
        assert_eq!(zips.narrowed_by(&TypePolicy::default()), zips);
        assert_eq!(
            zips.narrowed_by(&TypePolicy::only(["application/pdf", DOCX])),
            TypePolicy::only([DOCX])
        );
        assert_eq!(
            d.narrowed_by(&TypePolicy::only(["application/pdf"])),
            TypePolicy::only(["application/pdf"])
        );
    }

    #[test]
    fn a_policy_reads_back_what_it_writes() {
        for p in [
            TypePolicy::AllButActiveContent,
            TypePolicy::only(["image/png", "application/pdf"]),
        ] {
            let wire = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<TypePolicy>(&wire).unwrap(), p);
        }
        assert!(serde_json::from_str::<TypePolicy>("\"everything\"").is_err());
    }
}
