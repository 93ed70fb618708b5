//! Runtime dispatch to a kernel compiled for AVX2 and FMA, for the host loops the compiler
//! vectorises (burn's CPU backends leave these loops to us). The default x86-64 target stops at
//! SSE2, 4 lanes and no fused multiply-add; one binary must still run on every x86-64 CPU, so
//! the wide copy is chosen at run time. Elsewhere (the page's SIMD128, aarch64) the plain
//! function is the one compiled with the target's features.

/// Calls `$kernel($arg, …)`, compiled a second time with AVX2 and FMA enabled where the CPU
/// has both (and, after a leading `avx512,`, a third time with AVX-512F/VL where it has
/// those). The kernel should be `#[inline(always)]`, so that each copy inlines it. The
/// arguments are named with their types, as in a signature. Expands to the call's value.
macro_rules! avx2_fma {
    ($kernel:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)?) => {{
        #[cfg_attr(target_arch = "x86_64", target_feature(enable = "avx2,fma"))]
        #[allow(clippy::too_many_arguments)]
        unsafe fn wide($($arg: $ty),*) $(-> $ret)? {
            $kernel($($arg),*)
        }
        #[cfg(target_arch = "x86_64")]
        let has_wide = std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
        #[cfg(not(target_arch = "x86_64"))]
        let has_wide = false;
        if has_wide {
            // SAFETY: the CPU supports the features `wide` was compiled for.
            unsafe { wide($($arg),*) }
        } else {
            $kernel($($arg),*)
        }
    }};
    (avx512, $kernel:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)?) => {{
        #[cfg_attr(target_arch = "x86_64", target_feature(enable = "avx512f,avx512vl,avx2,fma"))]
        #[allow(clippy::too_many_arguments)]
        unsafe fn widest($($arg: $ty),*) $(-> $ret)? {
            $kernel($($arg),*)
        }
        #[cfg(target_arch = "x86_64")]
        let has_widest =
            std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512vl");
        #[cfg(not(target_arch = "x86_64"))]
        let has_widest = false;
        if has_widest {
            // SAFETY: the CPU supports the features `widest` was compiled for.
            unsafe { widest($($arg),*) }
        } else {
            $crate::math::simd::avx2_fma!($kernel($($arg: $ty),*) $(-> $ret)?)
        }
    }};
}
pub(crate) use avx2_fma;
