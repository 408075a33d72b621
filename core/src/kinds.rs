//! What a file's name says it holds: one table from extensions to the types their bytes may
//! carry, and the extensions of active content (what a browser renders as a page or a system
//! runs on a double click). The pipeline's verdict (`policy::verdict`) holds a name to it:
//! bytes that are not what the extension names are `type_mismatch`; an active extension is
//! `active_content` unless the allow-list names its type explicitly. A name without an
//! extension, or with one not in the table, is judged by its bytes alone.
//!
//! Formats built on a container agree with the container's signature (a `.docx` is a ZIP, a
//! `.heic` an ISO media file), since a sniffer that reads 8 KiB cannot always tell more.

/// Lowercase, without parameters (`text/plain; charset=utf-8` -> `text/plain`).
pub fn normalize_type(raw: &str) -> String {
    raw.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The canonical name of a type's alias family. Families are documented in docs/API.md:
/// several spellings of one format, and CSV being plain text to a sniffer.
pub fn family(t: &str) -> &str {
    match t {
        "image/jpg" | "image/pjpeg" => "image/jpeg",
        "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => "audio/wav",
        "audio/mp3" | "audio/x-mpeg" => "audio/mpeg",
        "image/heic" => "image/heif",
        "audio/x-flac" => "audio/flac",
        "audio/x-m4a" | "audio/mp4" => "audio/m4a",
        "application/x-zip-compressed" | "application/java-archive" => "application/zip",
        "text/csv" => "text/plain",
        other => other,
    }
}

/// The container a format is built on, when a sniffer may see only the container (a `.docx`
/// whose first entry is not the one that names it reads as a ZIP): an allow-list that admits
/// the container admits the formats built on it, never the other way round.
pub fn container_of(t: &str) -> Option<&'static str> {
    (family(t) != "application/zip" && ZIP.contains(&t)).then_some("application/zip")
}

/// What `sniff::detect` may call the bytes of one family of formats.
type Carriers = &'static [&'static str];

/// ZIP and the formats built on it that `infer` tells apart (by the first entries).
pub const ZIP: Carriers = &[
    "application/zip",
    "application/epub+zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
];
/// The ISO base media file format (`ftyp` box): MP4, QuickTime, M4A, HEIF/HEIC, AVIF.
pub const ISO_MEDIA: Carriers = &[
    "video/mp4",
    "video/x-m4v",
    "video/quicktime",
    "audio/m4a",
    "image/heif",
    "image/avif",
];
/// OLE compound files: legacy Office documents, Windows installers, Outlook messages.
pub const OLE: Carriers = &[
    "application/x-ole-storage",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
];
/// Windows executables (`MZ`).
pub const PE: Carriers = &["application/vnd.microsoft.portable-executable"];
/// Text: valid UTF-8 without NUL, and the markup `infer` singles out of it.
pub const TEXT: Carriers = &["text/plain"];
pub const MARKUP: Carriers = &["text/plain", "text/html", "text/xml"];
pub const GZIP: Carriers = &["application/gzip"];

/// One row of the table.
#[derive(Debug)]
pub struct Kind {
    /// Extensions, lowercase, without the dot.
    pub exts: &'static [&'static str],
    /// The types the extension names: for active content, the spellings an allow-list may
    /// name to admit it.
    pub types: &'static [&'static str],
    /// What the bytes may be detected as.
    pub carriers: Carriers,
    /// Rendered as a page or run by the system: admitted only by name (`admits_active`).
    pub active: bool,
}

const fn k(
    exts: &'static [&'static str],
    types: &'static [&'static str],
    carriers: Carriers,
) -> Kind {
    Kind {
        exts,
        types,
        carriers,
        active: false,
    }
}

const fn active(
    exts: &'static [&'static str],
    types: &'static [&'static str],
    carriers: Carriers,
) -> Kind {
    Kind {
        active: true,
        ..k(exts, types, carriers)
    }
}

/// The table (documented in docs/API.md, "The name agrees with the bytes").
pub const KINDS: &[Kind] = &[
    // Images.
    k(
        &["jpg", "jpeg", "jpe", "jfif", "pjpeg", "pjp"],
        &["image/jpeg"],
        &["image/jpeg"],
    ),
    k(&["png"], &["image/png"], &["image/png"]),
    k(&["gif"], &["image/gif"], &["image/gif"]),
    k(&["webp"], &["image/webp"], &["image/webp"]),
    k(&["bmp", "dib"], &["image/bmp"], &["image/bmp"]),
    k(
        &["tif", "tiff"],
        &["image/tiff"],
        &["image/tiff", "image/x-canon-cr2"],
    ),
    k(
        &["ico", "cur"],
        &["image/vnd.microsoft.icon"],
        &["image/vnd.microsoft.icon"],
    ),
    k(
        &["psd"],
        &["image/vnd.adobe.photoshop"],
        &["image/vnd.adobe.photoshop"],
    ),
    k(&["jxl"], &["image/jxl"], &["image/jxl"]),
    k(
        &["jp2", "j2k", "jpf", "jpx"],
        &["image/jp2"],
        &["image/jp2"],
    ),
    k(
        &["heic", "heif", "hif"],
        &["image/heic", "image/heif"],
        ISO_MEDIA,
    ),
    k(&["avif"], &["image/avif"], ISO_MEDIA),
    // Audio and video.
    k(&["mp3"], &["audio/mpeg"], &["audio/mpeg"]),
    k(&["wav", "wave"], &["audio/wav"], &["audio/wav"]),
    k(
        &["flac"],
        &["audio/flac", "audio/x-flac"],
        &["audio/x-flac"],
    ),
    k(
        &["ogg", "oga", "opus"],
        &["audio/ogg", "audio/opus"],
        &["audio/ogg", "audio/opus"],
    ),
    k(&["aac"], &["audio/aac"], &["audio/aac"]),
    k(
        &["aif", "aiff", "aifc"],
        &["audio/aiff", "audio/x-aiff"],
        &["audio/x-aiff"],
    ),
    k(&["mid", "midi"], &["audio/midi"], &["audio/midi"]),
    k(&["amr"], &["audio/amr"], &["audio/amr"]),
    k(
        &["mp4", "m4v", "m4a", "m4b", "mov", "qt", "3gp", "3g2"],
        &["video/mp4", "video/quicktime", "audio/mp4", "audio/m4a"],
        ISO_MEDIA,
    ),
    k(
        &["mkv", "mka", "webm"],
        &["video/x-matroska", "video/webm"],
        &["video/x-matroska", "video/webm"],
    ),
    k(&["avi"], &["video/x-msvideo"], &["video/x-msvideo"]),
    k(
        &["wmv", "wma", "asf"],
        &["video/x-ms-wmv"],
        &["video/x-ms-wmv"],
    ),
    k(&["mpg", "mpeg"], &["video/mpeg"], &["video/mpeg"]),
    k(&["flv"], &["video/x-flv"], &["video/x-flv"]),
    // Documents.
    k(&["pdf"], &["application/pdf"], &["application/pdf"]),
    k(
        &["rtf"],
        &["application/rtf"],
        &["application/rtf", "text/plain"],
    ),
    k(
        &["ps", "eps"],
        &["application/postscript"],
        &["application/postscript"],
    ),
    k(
        &["doc", "dot", "xls", "xlt", "ppt", "pot", "msg"],
        &["application/msword"],
        OLE,
    ),
    // Formats built on ZIP: the name and the declaration say which one a bare ZIP carries.
    k(
        &["docx", "docm", "dotx"],
        &["application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
        ZIP,
    ),
    k(
        &["xlsx", "xlsm", "xltx"],
        &["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
        ZIP,
    ),
    k(
        &["pptx", "pptm", "potx", "ppsx"],
        &["application/vnd.openxmlformats-officedocument.presentationml.presentation"],
        ZIP,
    ),
    k(
        &["odt", "ott"],
        &["application/vnd.oasis.opendocument.text"],
        ZIP,
    ),
    k(
        &["ods"],
        &["application/vnd.oasis.opendocument.spreadsheet"],
        ZIP,
    ),
    k(
        &["odp"],
        &["application/vnd.oasis.opendocument.presentation"],
        ZIP,
    ),
    k(&["epub"], &["application/epub+zip"], ZIP),
    k(
        &[
            "zip", "odg", "odf", "apk", "aab", "ipa", "xpi", "kmz", "3mf", "vsdx", "nupkg", "whl",
            "cbz", "xps", "oxps", "sketch",
        ],
        &["application/zip"],
        ZIP,
    ),
    // Archives.
    k(&["gz", "tgz"], &["application/gzip"], GZIP),
    k(&["tar"], &["application/x-tar"], &["application/x-tar"]),
    k(
        &["bz2", "tbz2"],
        &["application/x-bzip2"],
        &["application/x-bzip2"],
    ),
    k(&["xz", "txz"], &["application/x-xz"], &["application/x-xz"]),
    k(&["zst"], &["application/zstd"], &["application/zstd"]),
    k(
        &["7z"],
        &["application/x-7z-compressed"],
        &["application/x-7z-compressed"],
    ),
    k(&["rar"], &["application/vnd.rar"], &["application/vnd.rar"]),
    k(
        &["sqlite", "sqlite3", "db"],
        &["application/vnd.sqlite3"],
        &["application/vnd.sqlite3"],
    ),
    // Text: the bytes read as text (or were recognised as nothing, which the verdict refuses
    // on its own as `type_unrecognized`).
    k(
        &[
            "txt", "text", "csv", "tsv", "md", "markdown", "rst", "log", "json", "ndjson", "jsonl",
            "yaml", "yml", "toml", "ini", "cfg", "conf", "tex", "srt", "vtt", "ics", "vcf",
        ],
        &[
            "text/plain",
            "text/csv",
            "text/tab-separated-values",
            "text/markdown",
            "application/json",
        ],
        TEXT,
    ),
    // Active content: a browser renders these as a page (scripts run), or a system runs them
    // when opened.
    active(&["html", "htm", "shtml", "shtm"], &["text/html"], MARKUP),
    active(&["xhtml", "xht"], &["application/xhtml+xml"], MARKUP),
    active(
        &["mht", "mhtml"],
        &["multipart/related", "message/rfc822"],
        MARKUP,
    ),
    active(&["svg"], &["image/svg+xml"], MARKUP),
    active(&["svgz"], &["image/svg+xml"], GZIP),
    // XML: a browser renders it (XHTML namespaces, XSLT) with scripts.
    active(
        &["xml", "xsl", "xslt"],
        &["application/xml", "text/xml", "application/xslt+xml"],
        MARKUP,
    ),
    active(
        &["js", "mjs", "cjs", "jse"],
        &["text/javascript", "application/javascript"],
        MARKUP,
    ),
    active(&["hta"], &["application/hta"], MARKUP),
    active(&["vbs", "vbe", "vb"], &["text/vbscript"], MARKUP),
    active(&["wsf", "wsh", "ws", "wsc", "sct"], &["text/x-wsh"], MARKUP),
    active(
        &["ps1", "psm1", "psd1", "ps1xml"],
        &["application/x-powershell"],
        MARKUP,
    ),
    active(&["bat", "cmd"], &["application/x-bat"], MARKUP),
    active(&["reg"], &["text/x-ms-regedit"], MARKUP),
    active(&["url", "website"], &["application/x-url"], MARKUP),
    active(&["inf", "scf"], &["application/x-setupscript"], MARKUP),
    active(
        &[
            "exe", "dll", "scr", "cpl", "com", "pif", "sys", "ocx", "drv", "efi",
        ],
        &[
            "application/vnd.microsoft.portable-executable",
            "application/x-msdownload",
            "application/x-dosexec",
        ],
        PE,
    ),
    active(
        &["msi", "msp", "mst"],
        &["application/x-msi", "application/x-ole-storage"],
        OLE,
    ),
    active(&["lnk"], &["application/x-ms-shortcut"], &[]),
    active(&["jar"], &["application/java-archive"], ZIP),
    active(
        &["appx", "appxbundle", "msix", "msixbundle"],
        &["application/appx", "application/msix"],
        ZIP,
    ),
    active(
        &["application", "xbap"],
        &["application/x-ms-application"],
        MARKUP,
    ),
    active(&["chm"], &["application/vnd.ms-htmlhelp"], &[]),
    active(
        &["swf"],
        &["application/x-shockwave-flash"],
        &["application/x-shockwave-flash"],
    ),
];

/// The name's extension, lowercase: what follows its last dot, when something precedes that
/// dot (`.bashrc` has none) and something follows it.
pub fn extension(name: &str) -> Option<String> {
    let (stem, ext) = name.trim().rsplit_once('.')?;
    let ext = ext.trim();
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
}

/// The row of the name's extension, if the table has one.
pub fn of_name(name: &str) -> Option<&'static Kind> {
    let ext = extension(name)?;
    KINDS.iter().find(|k| k.exts.contains(&ext.as_str()))
}

impl Kind {
    /// Whether bytes detected as `detected` may be what this extension names.
    pub fn carries(&self, detected: &str) -> bool {
        let d = family(detected);
        self.carriers.iter().any(|c| family(c) == d)
    }

    /// Whether `allowed` names one of this kind's types itself: an alias family or a list of
    /// other types never admits active content.
    pub fn named_by(&self, allowed: &[String]) -> bool {
        allowed
            .iter()
            .any(|a| self.types.contains(&normalize_type(a).as_str()))
    }
}

/// Whether `t` (normalized) is a type of active content: such a type is never served as
/// itself.
pub fn is_active_type(t: &str) -> bool {
    KINDS.iter().any(|k| k.active && k.types.contains(&t))
}

/// Whether a sniffer would recognise bytes of type `t` (a format of the table, or what one of
/// its rows may be detected as): bytes nothing recognises are not of such a type.
pub fn is_recognisable(t: &str) -> bool {
    let f = family(t);
    !f.is_empty()
        && f != "application/octet-stream"
        && KINDS.iter().any(|k| {
            k.types
                .iter()
                .chain(k.carriers.iter())
                .any(|c| family(c) == f)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions() {
        assert_eq!(extension("Report.DOCX").as_deref(), Some("docx"));
        assert_eq!(extension("a.tar.gz").as_deref(), Some("gz"));
        assert_eq!(extension(".bashrc"), None);
        assert_eq!(extension("README"), None);
        assert_eq!(extension("trailing."), None);
    }

    #[test]
    fn every_extension_is_in_one_row_only() {
        let mut seen = std::collections::HashSet::new();
        for k in KINDS {
            for e in k.exts {
                assert!(seen.insert(*e), "{e} twice");
                assert_eq!(*e, e.to_ascii_lowercase());
            }
            assert!(!k.types.is_empty(), "{:?}", k.exts);
        }
    }

    #[test]
    fn containers_agree_with_their_container() {
        let docx = of_name("cv.docx").unwrap();
        assert!(docx.carries("application/zip"));
        assert!(
            docx.carries("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        );
        assert!(!docx.carries("application/pdf"));
        assert!(of_name("p.HEIC").unwrap().carries("image/heif"));
        assert!(of_name("p.avif").unwrap().carries("image/avif"));
        assert!(of_name("clip.mov").unwrap().carries("video/mp4"));
        assert!(of_name("x.jfif").unwrap().carries("image/jpg"));
        assert!(of_name("x.unknownext").is_none());
    }

    #[test]
    fn active_content_is_admitted_only_by_its_own_type() {
        let svg = of_name("x.svg").unwrap();
        assert!(svg.active);
        assert!(svg.named_by(&["image/svg+xml".to_string()]));
        assert!(!svg.named_by(&["text/plain".to_string(), "image/png".to_string()]));
        assert!(is_active_type("text/html"));
        assert!(!is_active_type("image/png"));
    }
}
