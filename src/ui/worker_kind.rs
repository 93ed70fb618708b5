//! Which of the page's two training workers a backend needs. WebGPU (cubecl's kernel compiler)
//! is most of a worker's size, so it has a worker of its own that the page loads only where it
//! can run: WebGPU chosen by hand, or *Auto* on a hardware adapter. Everywhere else the page
//! loads the CPU worker (Flex and NdArray), a fraction of the download (README, Footprint).

use crate::settings::BackendPref;

/// One of the two worker builds (Cargo.toml's `worker` and `worker_gpu` binaries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerKind {
    /// Flex and NdArray.
    Cpu,
    /// WebGPU and Flex.
    Gpu,
}

impl WorkerKind {
    /// The worker that serves `pref`, given whether the browser has a hardware WebGPU
    /// adapter (a software one is never faster than the CPU, so *Auto* does not load it).
    pub fn for_backend(pref: BackendPref, hardware_adapter: bool) -> Self {
        match pref {
            BackendPref::Wgpu => WorkerKind::Gpu,
            BackendPref::Auto if hardware_adapter => WorkerKind::Gpu,
            BackendPref::Auto | BackendPref::Flex | BackendPref::Ndarray => WorkerKind::Cpu,
        }
    }

    /// The loader script Trunk emits for the worker (`data-loader-shim`), relative to the
    /// page so that it works under a sub-path.
    pub fn loader(self) -> &'static str {
        match self {
            WorkerKind::Cpu => "./worker_loader.js",
            WorkerKind::Gpu => "./worker_gpu_loader.js",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webgpu_code_is_loaded_only_where_webgpu_can_run() {
        use BackendPref::*;
        use WorkerKind::*;
        // (backend, hardware adapter, worker)
        let table = [
            (Wgpu, false, Gpu),
            (Wgpu, true, Gpu),
            (Flex, false, Cpu),
            (Flex, true, Cpu),
            (Ndarray, false, Cpu),
            (Ndarray, true, Cpu),
            (Auto, false, Cpu),
            (Auto, true, Gpu),
        ];
        for (pref, hw, want) in table {
            assert_eq!(WorkerKind::for_backend(pref, hw), want, "{pref:?}, {hw}");
        }
    }

    #[test]
    fn each_kind_has_the_loader_of_its_binary_in_index_html() {
        let html = include_str!("../../index.html");
        for (kind, bin) in [(WorkerKind::Cpu, "worker"), (WorkerKind::Gpu, "worker_gpu")] {
            assert!(html.contains(&format!("data-bin=\"{bin}\"")), "{bin}");
            assert_eq!(kind.loader(), format!("./{bin}_loader.js"));
        }
    }
}
