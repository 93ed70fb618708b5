//! The page's state for Yew: the reducer itself is [`crate::ui::state`], plain Rust.

use std::rc::Rc;

use yew::Reducible;

pub use crate::ui::state::*;

impl Reducible for UiState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        s.apply(action);
        Rc::new(s)
    }
}
