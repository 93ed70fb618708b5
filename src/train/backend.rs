//! Run-time backend choice: burn picks the backend from the `Device`, so one build carries
//! the CPU backends and WebGPU, and the user (or the fallback logic) chooses.

#[cfg(feature = "train")]
use burn::prelude::Device;

pub use crate::settings::BackendChoice;

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
