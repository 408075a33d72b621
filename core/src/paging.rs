//! Listings in pages, the same way for files, links, shares and downloads: the limit a client
//! may ask for, and how an over-fetched listing is cut into a page and where the next starts.

use crate::CoreError;

pub const DEFAULT_PAGE: usize = 50;
pub const MAX_PAGE: usize = 100;

pub fn parse_limit(raw: Option<&str>) -> Result<usize, CoreError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_PAGE);
    };
    match raw.parse::<usize>() {
        Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        _ => Err(CoreError::invalid(
            "invalid_limit",
            format!("limit must be an integer from 1 to {MAX_PAGE}"),
        )),
    }
}

/// Cuts a listing fetched with one item more than `limit` (newest first): the extra item
/// only says that another page exists, and the next page starts after the last kept one.
pub fn cut_page<T, K>(
    mut items: Vec<T>,
    limit: usize,
    key: impl Fn(&T) -> K,
) -> (Vec<T>, Option<K>) {
    let more = items.len() > limit;
    items.truncate(limit);
    let next_after = if more { items.last().map(key) } else { None };
    (items, next_after)
}
