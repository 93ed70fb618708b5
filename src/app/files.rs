//! Files in and out of the page: downloads through a Blob and an object URL (or a canvas's
//! data URL), and reading the file picked in an `<input type=file>`.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, HtmlCanvasElement, HtmlInputElement, Url};

fn document() -> Result<web_sys::Document, String> {
    web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| "no document".to_string())
}

/// Starts a download of `url` named `name` with a temporary `<a download>`.
pub fn download_url(name: &str, url: &str) -> Result<(), String> {
    let doc = document()?;
    let a: HtmlAnchorElement = doc
        .create_element("a")
        .map_err(|e| format!("{e:?}"))?
        .unchecked_into();
    a.set_href(url);
    a.set_download(name);
    a.style().set_property("display", "none").ok();
    let body = doc.body().ok_or("no body")?;
    body.append_child(&a).map_err(|e| format!("{e:?}"))?;
    a.click();
    a.remove();
    Ok(())
}

/// Downloads `bytes` as a file `name` of type `mime`. The object URL is revoked a minute
/// later, when the browser has long since read it.
pub fn download_bytes(name: &str, mime: &str, bytes: &[u8]) -> Result<(), String> {
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|e| format!("cannot make the file: {e:?}"))?;
    let url = Url::create_object_url_with_blob(&blob).map_err(|e| format!("{e:?}"))?;
    download_url(name, &url)?;
    gloo::timers::callback::Timeout::new(60_000, move || {
        let _ = Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}

/// Downloads a canvas as a PNG file.
pub fn download_canvas(name: &str, canvas: &HtmlCanvasElement) -> Result<(), String> {
    let url = canvas
        .to_data_url_with_type("image/png")
        .map_err(|e| format!("cannot read the canvas: {e:?}"))?;
    download_url(name, &url)
}

/// The canvas with this element id, if it is on the page.
pub fn canvas_by_id(id: &str) -> Option<HtmlCanvasElement> {
    document()
        .ok()?
        .get_element_by_id(id)?
        .dyn_into::<HtmlCanvasElement>()
        .ok()
}

/// The name and bytes of the first file picked in `input`, if any.
pub async fn read_picked(input: &HtmlInputElement) -> Result<Option<(String, Vec<u8>)>, String> {
    let Some(file) = input.files().and_then(|f| f.get(0)) else {
        return Ok(None);
    };
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|e| format!("cannot read {}: {e:?}", file.name()))?;
    Ok(Some((
        file.name(),
        js_sys::Uint8Array::new(&buffer).to_vec(),
    )))
}
