//! What an upload must be before anything is reserved: a clean name, a size within the
//! deployment's limit, an allowed type.

use crate::{CoreError, Settings, names, policy};

/// What a client asks for when it wants to upload.
#[derive(Debug, Clone)]
pub struct NewUpload {
    pub name: String,
    pub size: u64,
    pub content_type: String,
    /// The owner's address, for mail about this file.
    pub owner_email: Option<String>,
}

/// When an upload asks to be deleted: its own `delete_after` (unchecked, as the client sent
/// it) and its owner's default at the time of asking.
#[derive(Debug, Clone, Default)]
pub struct RetentionAsk {
    pub delete_after: Option<String>,
    pub owner_days: Option<u32>,
}

/// Checks a declared upload against the settings; returns the cleaned name and type.
pub fn validate_upload(s: &Settings, req: &NewUpload) -> Result<(String, String), CoreError> {
    let name = names::clean_name(&req.name)?;
    if req.size == 0 {
        return Err(CoreError::invalid(
            "invalid_size",
            "size must be greater than 0",
        ));
    }
    if req.size > s.max_file_size {
        return Err(CoreError::FileTooLarge {
            size: req.size,
            max: s.max_file_size,
        });
    }
    let content_type = declared_type(&req.content_type);
    if !s.allowed_types.admits(&content_type) {
        return Err(CoreError::TypeNotAllowed {
            content_type,
            allowed: s.allowed_types.clone(),
        });
    }
    Ok((name, content_type))
}

/// The declared type, normalized; none at all (what a browser gives for a type it does not
/// know) is `application/octet-stream`, which claims nothing about the bytes.
pub fn declared_type(raw: &str) -> String {
    let t = policy::normalize_type(raw);
    if t.is_empty() {
        crate::allowed::OCTET_STREAM.to_owned()
    } else {
        t
    }
}
