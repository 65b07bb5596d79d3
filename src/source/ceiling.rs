//! A ceiling on what libgit2 allocates on one thread, so that an object can be read without
//! asking its size first.
//!
//! A hostile repository can hold an object of gigabytes in a few kilobytes of pack (a delta
//! that copies its base again and again), so nothing is read whole before its size is known
//! to be within the limit. Asking libgit2 for the size (`git_odb_read_header`) walks the
//! object's delta chain to its base, to learn its type, and reading it walks the chain again:
//! the trees of a replayed history sit in chains 22 deep, and the headers of its trees and blobs
//! were 5% of a YAML history's audit and 8% of a C history's. libgit2 allocates an object's
//! buffer whole, at its size, before inflating it, through an allocator it lets a program
//! replace; the one installed here refuses, on a thread reading under [`within`], any
//! allocation past the limit. A read over the limit then fails before anything is inflated,
//! and only a read that fails asks the header, to tell "too large" from other failures.

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void};
use std::sync::Once;

thread_local! {
    /// The largest allocation libgit2 may make on this thread; unlimited outside [`within`].
    static CEILING: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// libgit2's `git_allocator` (`include/git2/sys/alloc.h` of the libgit2 that `libgit2-sys`
/// builds, 1.9): three callbacks, copied by `GIT_OPT_SET_ALLOCATOR`.
#[repr(C)]
struct Allocator {
    gmalloc: unsafe extern "C" fn(usize, *const c_char, c_int) -> *mut c_void,
    grealloc: unsafe extern "C" fn(*mut c_void, usize, *const c_char, c_int) -> *mut c_void,
    gfree: unsafe extern "C" fn(*mut c_void),
}

/// libgit2's own allocator (`stdalloc`) calls `malloc`, `realloc` and `free`, as these do, so
/// memory it allocated before this one was installed is freed alike.
unsafe extern "C" fn gmalloc(size: usize, _file: *const c_char, _line: c_int) -> *mut c_void {
    if size > CEILING.get() {
        return std::ptr::null_mut();
    }
    // SAFETY: plain `malloc`, as libgit2's default allocator calls it.
    unsafe { libc::malloc(size) }
}

unsafe extern "C" fn grealloc(
    ptr: *mut c_void,
    size: usize,
    _file: *const c_char,
    _line: c_int,
) -> *mut c_void {
    if size > CEILING.get() {
        return std::ptr::null_mut();
    }
    // SAFETY: `ptr` was allocated by `malloc` or `realloc` (either allocator's), or is null.
    unsafe { libc::realloc(ptr, size) }
}

unsafe extern "C" fn gfree(ptr: *mut c_void) {
    // SAFETY: as for `grealloc`.
    unsafe { libc::free(ptr) }
}

/// Installs the allocator, once per process. libgit2 keeps a copy of the struct.
pub fn install() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let allocator = Allocator {
            gmalloc,
            grealloc,
            gfree,
        };
        // Initialises libgit2 first (its global options need it).
        git2::opts::enable_caching(false);
        // SAFETY: `GIT_OPT_SET_ALLOCATOR` takes a `git_allocator *`, which `Allocator`
        // matches field for field, and copies it before returning. Nothing has started any
        // thread that uses libgit2 yet.
        let status = unsafe {
            libgit2_sys::git_libgit2_opts(
                libgit2_sys::GIT_OPT_SET_ALLOCATOR as c_int,
                &allocator as *const Allocator,
            )
        };
        debug_assert_eq!(status, 0, "libgit2 takes the allocator");
    });
}

/// Runs `read` with libgit2's allocations on this thread refused past `max` bytes (and the
/// one byte more libgit2 adds to an object's buffer for its terminating NUL). Without
/// [`install`] the ceiling is never consulted.
pub fn within<T>(max: u64, read: impl FnOnce() -> T) -> T {
    /// Puts the ceiling back when the read returns or unwinds.
    struct Lift(usize);
    impl Drop for Lift {
        fn drop(&mut self) {
            CEILING.set(self.0);
        }
    }
    let max = usize::try_from(max).unwrap_or(usize::MAX).saturating_add(1);
    let _lift = Lift(CEILING.replace(max));
    read()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Allocator` copies the struct of libgit2 1.9; an upgrade of `libgit2-sys` to another
    /// libgit2 must check it again (older ones, 1.3 for one, had nine callbacks, not three).
    #[test]
    fn the_allocator_matches_the_libgit2_built() {
        let (major, minor, _) = git2::Version::get().libgit2_version();
        assert_eq!(
            (major, minor),
            (1, 9),
            "check `Allocator` against git2/sys/alloc.h"
        );
    }

    /// Under the ceiling an object is read; past it the read fails before allocating it, and
    /// the ceiling is lifted afterwards.
    #[test]
    fn reads_past_the_ceiling_fail_and_others_succeed() {
        install();
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init_bare(dir.path()).unwrap();
        let odb = repo.odb().unwrap();
        let big = odb.write(git2::ObjectType::Blob, &[b'x'; 4096]).unwrap();
        assert!(within(4096, || odb.read(big)).is_ok());
        let refused = within(4095, || odb.read(big)).map(|_| ()).unwrap_err();
        assert_eq!(refused.class(), git2::ErrorClass::NoMemory, "{refused}");
        assert_eq!(odb.read(big).unwrap().len(), 4096);
        // Lifted when the read unwinds, too.
        let unwound = std::panic::catch_unwind(|| within(0, || panic!("in the read")));
        assert!(unwound.is_err());
        assert_eq!(odb.read(big).unwrap().len(), 4096);
    }
}
