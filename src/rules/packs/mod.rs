//! Pack tables: which rule IDs exist, their level and controls, and the check each one runs.

pub mod aws_solutions;
pub mod hipaa;
pub mod openmrs;

use super::{Pack, Rule};

/// Every rule of the given packs, in pack order then table order.
pub fn rules(packs: &[Pack]) -> Vec<&'static Rule> {
    let mut selected = Vec::new();
    for pack in Pack::ALL {
        if !packs.contains(&pack) {
            continue;
        }
        let table: &'static [Rule] = match pack {
            Pack::HipaaSecurity => hipaa::RULES,
            Pack::AwsSolutions => aws_solutions::RULES,
            Pack::Openmrs => openmrs::RULES,
        };
        selected.extend(table.iter());
    }
    selected
}

/// The level of a rule ID in any pack, or `None` when no pack has it.
pub fn level_of(id: &str) -> Option<super::Level> {
    rules(&Pack::ALL)
        .into_iter()
        .find(|rule| rule.id == id)
        .map(|rule| rule.level)
}
