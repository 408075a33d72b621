//! The one lock helper the fakes share: a poisoned lock (a test that panicked holding it)
//! still gives its data, so one failing test does not fail the others' fakes.

use std::sync::{Mutex, MutexGuard};

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
