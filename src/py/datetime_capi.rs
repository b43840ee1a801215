//! Aware UTC `datetime`s made through CPython's datetime C API, the way pyo3 makes them outside abi3.
//!
//! Under abi3 pyo3 builds a `datetime` by calling the class from Python (about 0.5 µs each; a page of 200
//! snapshots pays it 200 times). The C API is reached through the `datetime.datetime_CAPI` capsule
//! (`PyCapsule_Import` is in the stable ABI); the struct behind it is not, but its first members have not moved
//! since Python 3.7 and new ones are only appended. So the prefix used here is checked against the running
//! interpreter before it is trusted (the types and the UTC singleton must be the ones `datetime` exports, and a
//! probe datetime must equal the one Python builds); if anything differs, the slow path is used instead.
#![allow(unsafe_code)]

use std::ffi::c_int;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::core::datetime::UtcDateTime;

/// The first members of CPython's `PyDateTime_CAPI` (`Include/datetime.h`), unchanged since 3.7.
#[repr(C)]
struct CapiPrefix {
    date_type: *mut ffi::PyTypeObject,
    datetime_type: *mut ffi::PyTypeObject,
    time_type: *mut ffi::PyTypeObject,
    delta_type: *mut ffi::PyTypeObject,
    tzinfo_type: *mut ffi::PyTypeObject,
    timezone_utc: *mut ffi::PyObject,
    date_from_date: unsafe extern "C" fn(c_int, c_int, c_int, *mut ffi::PyTypeObject) -> *mut ffi::PyObject,
    datetime_from_date_and_time: unsafe extern "C" fn(
        c_int,
        c_int,
        c_int,
        c_int,
        c_int,
        c_int,
        c_int,
        *mut ffi::PyObject,
        *mut ffi::PyTypeObject,
    ) -> *mut ffi::PyObject,
}

/// The capsule's struct: static data of the `datetime` module, which is never unloaded once imported.
struct Capi(&'static CapiPrefix);

// SAFETY: the struct is immutable after the module's init; its pointers are only used with the GIL held.
unsafe impl Send for Capi {}
// SAFETY: as above.
unsafe impl Sync for Capi {}

static CAPI: PyOnceLock<Option<Capi>> = PyOnceLock::new();

fn capi(py: Python<'_>) -> Option<&'static CapiPrefix> {
    CAPI.get_or_init(py, || load(py).unwrap_or(None)).as_ref().map(|c| c.0)
}

fn load(py: Python<'_>) -> PyResult<Option<Capi>> {
    let module = py.import("datetime")?;
    // SAFETY: `PyCapsule_Import` takes a NUL-terminated name; it returns the capsule's pointer, or NULL with an
    // exception set.
    let ptr = unsafe { ffi::PyCapsule_Import(c"datetime.datetime_CAPI".as_ptr(), 0) } as *const CapiPrefix;
    if ptr.is_null() {
        let _ = PyErr::take(py);
        return Ok(None);
    }
    // SAFETY: non-null, and points at the module's static `PyDateTime_CAPI`, which starts with these members
    // (checked just below before any function pointer is called).
    let api: &'static CapiPrefix = unsafe { &*ptr };
    let same = |raw: *mut ffi::PyObject, name: &str| -> PyResult<bool> { Ok(module.getattr(name)?.as_ptr() == raw) };
    let layout_matches = same(api.date_type.cast(), "date")?
        && same(api.datetime_type.cast(), "datetime")?
        && same(api.time_type.cast(), "time")?
        && same(api.delta_type.cast(), "timedelta")?
        && same(api.tzinfo_type.cast(), "tzinfo")?
        && module.getattr("timezone")?.getattr("utc")?.as_ptr() == api.timezone_utc;
    if !layout_matches {
        return Ok(None);
    }
    let probe = UtcDateTime {
        year: 2001,
        month: 2,
        day: 3,
        hour: 4,
        minute: 5,
        second: 6,
        micro: 789,
    };
    let fast = build(py, api, &probe)?;
    let slow =
        module
            .getattr("datetime")?
            .call1((2001, 2, 3, 4, 5, 6, 789, module.getattr("timezone")?.getattr("utc")?))?;
    Ok(fast.eq(&slow)?.then_some(Capi(api)))
}

fn build<'py>(py: Python<'py>, api: &CapiPrefix, t: &UtcDateTime) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: the GIL is held; the arguments are plain integers (range-checked by CPython, which raises
    // ValueError) and the UTC singleton and datetime type of the same C API. A new reference or NULL with an
    // exception comes back.
    unsafe {
        let obj = (api.datetime_from_date_and_time)(
            t.year as c_int,
            c_int::from(t.month),
            c_int::from(t.day),
            c_int::from(t.hour),
            c_int::from(t.minute),
            c_int::from(t.second),
            t.micro as c_int,
            api.timezone_utc,
            api.datetime_type,
        );
        Bound::from_owned_ptr_or_err(py, obj)
    }
}

/// An aware UTC `datetime` through the C API, or `None` when this interpreter's doesn't match (then the caller
/// takes the Python path).
pub fn utc_datetime<'py>(py: Python<'py>, t: &UtcDateTime) -> Option<PyResult<Bound<'py, PyAny>>> {
    capi(py).map(|api| build(py, api, t))
}
