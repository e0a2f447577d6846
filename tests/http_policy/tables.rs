//! The tables themselves: every row cites an RFC, and row names are unique.

use std::collections::HashSet;

use super::age::age_rows;
use super::conditional::conditional_rows;
use super::date::date_rows;
use super::flows::scenarios;
use super::freshen::freshen_rows;
use super::freshness::lifetime_rows;
use super::invalidation::invalidation_rows;
use super::lookup::lookup_rows;
use super::storing::store_rows;
use super::validation::validation_rows;
#[test]
fn every_row_cites_an_rfc_and_names_are_unique() {
    let mut names: Vec<&str> = Vec::new();
    names.extend(store_rows().iter().map(|r| r.name));
    names.extend(lifetime_rows().iter().map(|r| r.name));
    names.extend(age_rows().iter().map(|r| r.name));
    names.extend(lookup_rows().iter().map(|r| r.name));
    names.extend(validation_rows().iter().map(|r| r.name));
    names.extend(freshen_rows().iter().map(|r| r.name));
    names.extend(conditional_rows().iter().map(|r| r.name));
    names.extend(invalidation_rows().iter().map(|r| r.name));
    names.extend(date_rows().iter().map(|r| r.name));
    names.extend(scenarios().iter().map(|s| s.0));
    for name in &names {
        assert!(name.starts_with("rfc"), "{name} does not cite an RFC");
    }
    let mut seen = HashSet::new();
    let duplicates: Vec<&str> = names.iter().copied().filter(|n| !seen.insert(*n)).collect();
    assert!(duplicates.is_empty(), "duplicate row names: {duplicates:?}");
}
