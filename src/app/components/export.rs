//! The export bar: plots as PNG (one panel or all of them on one sheet), the curves and
//! metrics as CSV or JSON, and the model saved to or loaded from a `.dlab` file.

use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlInputElement};
use yew::prelude::*;

use super::panels::StateCommandProps;
use crate::app::state::Action;
use crate::app::{export, files};
use crate::protocol::ToWorker;
use crate::train::model_file;
use crate::train::DatasetKind;

/// Largest model file the page accepts (a few MB at most for the models here).
const MAX_MODEL_BYTES: f64 = 64.0 * 1024.0 * 1024.0;

/// The plots on the page for `dataset`: (canvas id, name in the menu and file).
fn plots(dataset: DatasetKind) -> Vec<(&'static str, &'static str)> {
    let mut v = vec![
        ("posterior-canvas", "posterior"),
        ("loss-canvas", "loss"),
        ("terms-canvas", "kl-terms"),
        ("kl-bars-canvas", "kl-per-latent"),
        ("traversal-canvas", "traversals"),
        ("data-canvas", "data"),
        ("metrics-canvas", "metrics"),
    ];
    match dataset {
        DatasetKind::Dsprites => v.push(("mi-canvas", "mi-matrix")),
        DatasetKind::Ivae => {
            v.push(("decomposition-canvas", "kl-decomposition"));
            v.push(("scatter-canvas", "sources"));
        }
        DatasetKind::Pinwheel => v.push(("decomposition-canvas", "kl-decomposition")),
    }
    v
}

/// Draws every plot onto one sheet, in rows, each under its name.
fn sheet(plots: &[(&str, &str)]) -> Result<HtmlCanvasElement, String> {
    const PAD: f64 = 12.0;
    const LABEL: f64 = 18.0;
    const MAX_WIDTH: f64 = 1240.0;
    let canvases: Vec<(HtmlCanvasElement, &str)> = plots
        .iter()
        .filter_map(|(id, name)| files::canvas_by_id(id).map(|c| (c, *name)))
        .collect();
    // Lay out left to right, wrapping at MAX_WIDTH.
    let (mut x, mut y, mut row_h, mut width) = (PAD, PAD, 0.0f64, 0.0f64);
    let mut places = Vec::new();
    for (c, name) in &canvases {
        let (w, h) = (f64::from(c.width()), f64::from(c.height()));
        if x > PAD && x + w + PAD > MAX_WIDTH {
            x = PAD;
            y += row_h + PAD;
            row_h = 0.0;
        }
        places.push((c, *name, x, y));
        width = width.max(x + w + PAD);
        row_h = row_h.max(h + LABEL);
        x += w + PAD;
    }
    let height = y + row_h + PAD;
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let out: HtmlCanvasElement = doc
        .create_element("canvas")
        .map_err(|e| format!("{e:?}"))?
        .unchecked_into();
    out.set_width(width.max(1.0) as u32);
    out.set_height(height as u32);
    let ctx: CanvasRenderingContext2d = out
        .get_context("2d")
        .map_err(|e| format!("{e:?}"))?
        .ok_or("no 2d context")?
        .unchecked_into();
    ctx.set_fill_style_str("#ffffff");
    ctx.fill_rect(0.0, 0.0, width, height);
    ctx.set_fill_style_str("#1d2327");
    ctx.set_font("13px sans-serif");
    for (c, name, x, y) in places {
        let _ = ctx.fill_text(name, x, y + 13.0);
        ctx.draw_image_with_html_canvas_element(c, x, y + LABEL)
            .map_err(|e| format!("{e:?}"))?;
    }
    Ok(out)
}

/// The export bar.
#[function_component(ExportBar)]
pub fn export_bar(props: &StateCommandProps) -> Html {
    let state = props.state.clone();
    let commands = props.commands.clone();
    let choice = use_state(|| "all".to_string());
    let file_input = use_node_ref();
    let plots = plots(state.config.dataset);
    let report = {
        let d = state.dispatcher();
        move |r: Result<(), String>| {
            if let Err(e) = r {
                d.dispatch(Action::ShowError(format!("Export failed: {e}")));
            }
        }
    };
    let on_choice = {
        let choice = choice.clone();
        Callback::from(move |e: Event| {
            choice.set(
                e.target_unchecked_into::<web_sys::HtmlSelectElement>()
                    .value(),
            )
        })
    };
    let on_png = {
        let (state, choice, plots, report) =
            (state.clone(), choice.clone(), plots.clone(), report.clone());
        Callback::from(move |_| {
            let stem = export::stem(&state);
            let result = if *choice == "all" {
                sheet(&plots)
                    .and_then(|c| files::download_canvas(&format!("{stem}-panels.png"), &c))
            } else {
                match plots.iter().find(|(id, _)| *id == choice.as_str()) {
                    Some((id, name)) => match files::canvas_by_id(id) {
                        Some(c) => files::download_canvas(&format!("{stem}-{name}.png"), &c),
                        None => Err(format!("the {name} plot is not on the page")),
                    },
                    None => Err("choose a plot".into()),
                }
            };
            report(result);
        })
    };
    let on_csv = {
        let (state, report) = (state.clone(), report.clone());
        Callback::from(move |_| {
            let text = export::curves_csv(&state);
            report(files::download_bytes(
                &format!("{}-curves.csv", export::stem(&state)),
                "text/csv",
                text.as_bytes(),
            ));
        })
    };
    let on_json = {
        let (state, report) = (state.clone(), report.clone());
        Callback::from(move |_| {
            let text = export::curves_json(&state);
            report(files::download_bytes(
                &format!("{}-curves.json", export::stem(&state)),
                "application/json",
                text.as_bytes(),
            ));
        })
    };
    let on_save = {
        let commands = commands.clone();
        Callback::from(move |_| commands.send(ToWorker::SaveModel))
    };
    let on_load_click = {
        let file_input = file_input.clone();
        Callback::from(move |_| {
            if let Some(i) = file_input.cast::<HtmlInputElement>() {
                i.click();
            }
        })
    };
    let on_file = {
        let (state, commands) = (state.clone(), commands.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let (d, commands) = (state.dispatcher(), commands.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let too_big = input
                    .files()
                    .and_then(|f| f.get(0))
                    .is_some_and(|f| f.size() > MAX_MODEL_BYTES);
                let picked = if too_big {
                    Err("the file is larger than any model this page saves".to_string())
                } else {
                    files::read_picked(&input).await
                };
                // Let the same file be picked again.
                input.set_value("");
                match picked {
                    Ok(Some((_, bytes))) => {
                        // Refuse what is plainly not a model here; the worker checks the rest.
                        match model_file::decode(&bytes) {
                            Ok(_) => {
                                d.dispatch(Action::SetRunning(false));
                                commands.send(ToWorker::LoadModel(bytes));
                            }
                            Err(why) => d.dispatch(Action::ShowError(format!(
                                "The model file was refused: {why}."
                            ))),
                        }
                    }
                    Ok(None) => {}
                    Err(e) => d.dispatch(Action::ShowError(format!(
                        "The model file was refused: {e}."
                    ))),
                }
            });
        })
    };
    html! {
        <div class="export-bar" id="export-bar" role="group" aria-label="Export and save">
            <span class="export-label">{"Export"}</span>
            <select id="png-select" onchange={on_choice} aria-label="Which plot to save as PNG">
                <option value="all" selected={*choice == "all"}>{"All panels"}</option>
                { for plots.iter().map(|(id, name)| html! { <option value={*id} selected={*choice == *id}>{*name}</option> }) }
            </select>
            <button id="export-png" onclick={on_png} title="Save the chosen plot (or all of them on one sheet) as a PNG image">{"PNG"}</button>
            <button id="export-csv" onclick={on_csv} title="Loss, its terms and every metric, one row per step">{"Curves CSV"}</button>
            <button id="export-json" onclick={on_json} title="The same curves, the settings and the full metric reports">{"Curves JSON"}</button>
            <span class="export-label">{"Model"}</span>
            <button id="save-model" onclick={on_save} title="Save the trained model with its settings as a .dlab file">{"Save model"}</button>
            <button id="load-model" onclick={on_load_click} title="Load a .dlab model file saved here or by the command-line program">{"Load model…"}</button>
            <input id="model-file" ref={file_input} type="file" accept={format!(".{}", model_file::EXTENSION)} class="visually-hidden" tabindex="-1" aria-label="Model file to load" onchange={on_file} />
        </div>
    }
}
