//! A text or number box whose typing survives the page's re-renders.
//!
//! Yew writes an `<input>`'s `value` back into the DOM on every render where the DOM differs,
//! and the page re-renders on each snapshot from the worker: a value being typed (a learning
//! rate while training, a seed just after a reset) was wiped before Enter could commit it.
//! This box leaves the DOM alone while the user types, and shows the committed value again
//! when it changes or after each commit (so a refused edit goes back to the value in force).

use yew::prelude::*;

/// Props of [`CommittedInput`].
#[derive(Properties, PartialEq)]
pub struct CommittedInputProps {
    /// The element's id.
    pub id: AttrValue,
    /// `number` or `text`.
    pub kind: AttrValue,
    /// The value in force, shown when it changes and after each commit.
    pub value: AttrValue,
    /// Called on `change` (Enter or leaving the box): the edit to commit or refuse.
    pub onchange: Callback<Event>,
    #[prop_or_default]
    pub min: Option<AttrValue>,
    #[prop_or_default]
    pub max: Option<AttrValue>,
    #[prop_or_default]
    pub step: Option<AttrValue>,
    #[prop_or_default]
    pub spellcheck: Option<AttrValue>,
}

/// An `<input>` that is written only when the committed value changes or an edit was handled.
#[function_component(CommittedInput)]
pub fn committed_input(props: &CommittedInputProps) -> Html {
    let node = use_node_ref();
    let commits = use_state(|| 0u32);
    {
        let node = node.clone();
        use_effect_with((props.value.clone(), *commits), move |(value, _)| {
            if let Some(el) = node.cast::<web_sys::HtmlInputElement>() {
                if el.value() != value.as_str() {
                    el.set_value(value);
                }
            }
        });
    }
    let onchange = {
        let (parent, commits) = (props.onchange.clone(), commits.clone());
        Callback::from(move |e: Event| {
            parent.emit(e);
            commits.set(commits.wrapping_add(1));
        })
    };
    html! {
        <input ref={node} id={props.id.clone()} type={props.kind.clone()} min={props.min.clone()}
            max={props.max.clone()} step={props.step.clone()} spellcheck={props.spellcheck.clone()}
            {onchange} />
    }
}
