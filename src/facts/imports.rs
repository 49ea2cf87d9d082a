//! The names a file binds by imports: local name → (module, attribute path).

use serde::{Deserialize, Serialize};

use crate::value::{CompactString, ThinVec};

/// Where an imported name comes from: the module and the attribute path in it.
pub type Import = (CompactString, ThinVec<CompactString>);

/// A list sorted by local name with no spare room, not a hash map: the imports of every parsed
/// file stay in memory for the whole run, and a map's table holds up to twice the room its
/// entries need. Names are only looked up (the resolvers), never listed in an order that
/// matters.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Imports(ThinVec<(CompactString, Import)>);

impl Imports {
    pub fn get(&self, name: &str) -> Option<&Import> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(name))
            .ok()
            .map(|i| &self.0[i].1)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&CompactString, &Import)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub(super) fn entries_mut(&mut self) -> &mut ThinVec<(CompactString, Import)> {
        &mut self.0
    }
}

/// The extraction's map (the last import of a name wins), sorted.
impl<S> From<std::collections::HashMap<CompactString, Import, S>> for Imports {
    fn from(map: std::collections::HashMap<CompactString, Import, S>) -> Self {
        let mut entries: ThinVec<(CompactString, Import)> = map.into_iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Imports(entries)
    }
}
