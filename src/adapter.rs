//! Asks the browser for its WebGPU adapter, to report vendor/architecture and whether it is
//! a software one. Uses `Reflect` so no unstable web-sys APIs are needed. The page asks once
//! at start (which training worker to load); the worker asks again for its report.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::protocol::AdapterInfo;

fn get(obj: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

fn get_string(obj: &JsValue, key: &str) -> String {
    get(obj, key)
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// The adapter `navigator.gpu.requestAdapter()` returns, or `None` without WebGPU.
pub async fn probe() -> Option<AdapterInfo> {
    probe_within(None).await
}

/// [`probe`], giving up (`None`) after `limit_ms` when one is given: the page waits for the
/// answer before it starts a worker, and a browser must not keep it waiting.
pub async fn probe_within(limit_ms: Option<i32>) -> Option<AdapterInfo> {
    let navigator = get(&js_sys::global(), "navigator")?;
    let gpu = get(&navigator, "gpu")?;
    let request: Function = get(&gpu, "requestAdapter")?.dyn_into().ok()?;
    let mut promise: Promise = request.call0(&gpu).ok()?.dyn_into().ok()?;
    if let Some(ms) = limit_ms {
        let timeout = Promise::new(&mut |resolve, _| {
            let set_timeout: Option<Function> =
                get(&js_sys::global(), "setTimeout").and_then(|f| f.dyn_into().ok());
            if let Some(f) = set_timeout {
                let _ = f.call2(&JsValue::NULL, &resolve, &JsValue::from(ms));
            }
        });
        promise = Promise::race(&js_sys::Array::of2(&promise, &timeout));
    }
    let adapter = JsFuture::from(promise)
        .await
        .ok()
        .filter(|a| !a.is_null() && !a.is_undefined())?;
    let info = get(&adapter, "info").unwrap_or(JsValue::NULL);
    // Chromium reports software adapters through `info.isFallbackAdapter` (newer) or
    // `adapter.isFallbackAdapter` (older); SwiftShader also names itself in `architecture`.
    let flag = |o: &JsValue| {
        get(o, "isFallbackAdapter")
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    };
    let architecture = get_string(&info, "architecture");
    let is_fallback = flag(&info) || flag(&adapter) || architecture.contains("swiftshader");
    Some(AdapterInfo {
        vendor: get_string(&info, "vendor"),
        architecture,
        description: get_string(&info, "description"),
        is_fallback,
    })
}
