//! Native allocator tuning for the command-line program.
//!
//! Training on the CPU backends allocates and frees tensors of megabytes every step (burn
//! returns fresh buffers). glibc serves blocks above its mmap threshold (≥ 128 KiB, rising
//! with use to at most 32 MiB) with fresh mappings and returns freed heap tops to the system,
//! so the next step page-faults and zeroes the same memory again: in a profile of a
//! transposed convolution's training step, 56 % of the time was kernel page-fault handling
//! (1.9 s of system time for 20 calls, 0.18 s with freed memory kept). Keeping freed memory
//! in the process (raising both thresholds) removes that; memory in use peaks as before.

/// Keeps freed memory for reuse (glibc `mallopt`; elsewhere nothing to do).
pub fn retain_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // glibc's malloc.h: M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD.
        const M_TRIM_THRESHOLD: i32 = -1;
        const M_TOP_PAD: i32 = -2;
        const M_MMAP_THRESHOLD: i32 = -3;
        unsafe extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        // SAFETY: mallopt only changes allocator parameters; called before threads start.
        unsafe {
            // 32 MiB is the largest mmap threshold glibc accepts on 64-bit targets.
            mallopt(M_MMAP_THRESHOLD, 32 << 20);
            mallopt(M_TRIM_THRESHOLD, 1 << 30);
            mallopt(M_TOP_PAD, 64 << 20);
        }
    }
}
