//! The experiment allocator plugin (world `ab-plugin`): imports nothing,
//! exports `glint:plugins/allocator`. The rule is `glint-ab-core`'s.

wit_bindgen::generate!({
    world: "ab-plugin",
    path: "../../wit",
    generate_all,
});

use exports::glint::plugins::allocator::{Arm, Guest};

struct Component;

impl Guest for Component {
    fn assign(experiment: String, subject_id: String, arms: Vec<Arm>) -> Option<Arm> {
        let weights: Vec<u32> = arms.iter().map(|a| a.weight).collect();
        glint_ab_core::assign(&experiment, &subject_id, &weights).map(|i| arms[i].clone())
    }
}

export!(Component);
