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
    let content_type = policy::normalize_type(&req.content_type);
    if !policy::is_allowed(&s.allowed_types, &content_type) {
        return Err(CoreError::TypeNotAllowed(content_type));
    }
    Ok((name, content_type))
}
