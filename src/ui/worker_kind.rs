//! Which of the page's two training workers a run needs. WebGPU (cubecl's kernel compiler) is
//! most of a worker's size, so it has a worker of its own that the page loads only where it can
//! run and may pay off: WebGPU chosen by hand, or *Auto* on dSprites with a hardware adapter.
//! Everywhere else the page loads the CPU worker (Flex and NdArray), a third of the download
//! (README, Footprint), so a first visit (the pinwheel) never downloads WebGPU.

use crate::settings::{BackendPref, DatasetKind};

/// One of the two worker builds (Cargo.toml's `worker` and `worker_gpu` binaries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerKind {
    /// Flex and NdArray.
    Cpu,
    /// WebGPU and Flex.
    Gpu,
}

impl WorkerKind {
    /// The worker that serves backend `pref` on `dataset`, given whether the browser has a
    /// hardware WebGPU adapter. A software adapter is never faster than the CPU, so *Auto*
    /// does not load WebGPU for it. Nor does it for the pinwheel and the iVAE sources: their
    /// steps are a few hundred kernels on matrices of at most 400 × 100 (README, the dispatch
    /// count per step), where a GPU's launch cost is likely to outweigh its arithmetic (not
    /// measured: no GPU was at hand), and the CPU worker keeps the first visit small; dSprites'
    /// 64 × 4096 images are where a GPU can win, and there *Auto* times WebGPU against the
    /// CPU. WebGPU chosen by hand loads it everywhere.
    pub fn for_run(pref: BackendPref, dataset: DatasetKind, hardware_adapter: bool) -> Self {
        match pref {
            BackendPref::Wgpu => WorkerKind::Gpu,
            BackendPref::Auto if hardware_adapter && dataset == DatasetKind::Dsprites => {
                WorkerKind::Gpu
            }
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
    fn webgpu_code_is_loaded_only_where_webgpu_can_run_and_may_pay_off() {
        use BackendPref::*;
        use WorkerKind::*;
        let all = [
            DatasetKind::Pinwheel,
            DatasetKind::Ivae,
            DatasetKind::Dsprites,
        ];
        for dataset in all {
            for hw in [false, true] {
                let dsprites = dataset == DatasetKind::Dsprites;
                // (backend, worker)
                let table = [
                    (Wgpu, Gpu),
                    (Flex, Cpu),
                    (Ndarray, Cpu),
                    (Auto, if hw && dsprites { Gpu } else { Cpu }),
                ];
                for (pref, want) in table {
                    let got = WorkerKind::for_run(pref, dataset, hw);
                    assert_eq!(got, want, "{pref:?}, {dataset:?}, hardware {hw}");
                }
            }
        }
        // The first visit (the defaults) never downloads WebGPU, GPU or not.
        let first = crate::settings::TrainConfig::default();
        assert_eq!(WorkerKind::for_run(first.backend, first.dataset, true), Cpu);
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
