//! Run-time backend choice: burn picks the backend from the `Device`, so one build carries
//! the CPU backends and WebGPU, and the user (or the fallback logic) chooses.

#[cfg(feature = "train")]
use burn::prelude::Device;
use serde::{Deserialize, Serialize};

/// A compute backend the trainer can run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackendChoice {
    /// burn's pure-Rust CPU backend (Flex).
    Flex,
    /// burn's NdArray CPU backend (deprecated upstream, still the faster CPU one in wasm for small models).
    Ndarray,
    /// burn-wgpu: WebGPU in the browser, Vulkan/Metal/GL natively.
    Wgpu,
}

impl BackendChoice {
    /// Every backend, in menu order.
    pub const ALL: [BackendChoice; 3] = [
        BackendChoice::Wgpu,
        BackendChoice::Ndarray,
        BackendChoice::Flex,
    ];

    /// Short name for the command line and share links.
    pub fn key(self) -> &'static str {
        match self {
            BackendChoice::Flex => "flex",
            BackendChoice::Ndarray => "ndarray",
            BackendChoice::Wgpu => "wgpu",
        }
    }

    /// Human-readable label.
    pub fn label(self) -> &'static str {
        match self {
            BackendChoice::Flex => "CPU (Flex)",
            BackendChoice::Ndarray => "CPU (NdArray)",
            BackendChoice::Wgpu => "WebGPU",
        }
    }

    /// Parses [`Self::key`]; the error names the valid choices.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .copied()
            .find(|b| b.key() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|b| b.key()).collect();
                format!("unknown backend '{s}' (valid: {})", names.join(", "))
            })
    }

    /// True for the CPU backends.
    pub fn is_cpu(self) -> bool {
        !matches!(self, BackendChoice::Wgpu)
    }
}

/// The (non-autodiff) CPU device of a CPU choice.
#[cfg(feature = "train")]
#[allow(deprecated)] // Device::ndarray is deprecated upstream; we keep it while it measures faster in wasm.
fn cpu_device(choice: BackendChoice) -> Device {
    match choice {
        BackendChoice::Ndarray => Device::ndarray(),
        _ => Device::flex(),
    }
}

#[cfg(all(feature = "train", not(target_arch = "wasm32")))]
static WGPU_DEVICE: std::sync::OnceLock<Result<Device, String>> = std::sync::OnceLock::new();

#[cfg(all(feature = "train", target_arch = "wasm32"))]
thread_local! {
    static WGPU_DEVICE: std::cell::RefCell<Option<Device>> = const { std::cell::RefCell::new(None) };
}

#[cfg(feature = "train")]
/// The device for `choice`, initialising wgpu once (a second init fails upstream, so the
/// device is cached). Errors are messages for the user, e.g. "no adapter".
pub async fn device_for(choice: BackendChoice) -> Result<Device, String> {
    if choice.is_cpu() {
        return Ok(cpu_device(choice));
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        WGPU_DEVICE
            .get_or_init(|| {
                Device::wgpu_options()
                    .init()
                    .map_err(|e| format!("could not start wgpu: {e}"))
            })
            .clone()
    }
    #[cfg(target_arch = "wasm32")]
    {
        if let Some(d) = WGPU_DEVICE.with(|c| c.borrow().clone()) {
            return Ok(d);
        }
        let device = Device::wgpu_options()
            .init_async()
            .await
            .map_err(|e| format!("could not start WebGPU: {e}"))?;
        WGPU_DEVICE.with(|c| *c.borrow_mut() = Some(device.clone()));
        Ok(device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips_and_lists_choices() {
        for b in BackendChoice::ALL {
            assert_eq!(BackendChoice::parse(b.key()), Ok(b));
        }
        let err = BackendChoice::parse("cuda").unwrap_err();
        assert!(err.contains("flex") && err.contains("wgpu"), "{err}");
    }
}
