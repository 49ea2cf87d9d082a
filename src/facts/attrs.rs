//! The attributes of a class (or of its `Meta`): name → value, the last assignment winning.

use serde::{Deserialize, Serialize};

use crate::value::{CompactString, Item};

/// A list in assignment order (first assignment's place, last assignment's value), not a hash
/// map: a class has a few attributes, looked up by name a few times, and a map's table holds up
/// to twice the room its entries need, for every class of every parsed file. Serialised as a
/// map is (a length, then the pairs).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Attrs(Vec<(CompactString, Item)>);

impl Attrs {
    pub fn get(&self, name: &str) -> Option<&Item> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut Item> {
        self.0.iter_mut().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Set `name` (a later assignment replaces the value), returning the previous value.
    pub fn insert(&mut self, name: &str, item: Item) -> Option<Item> {
        match self.get_mut(name) {
            Some(old) => Some(std::mem::replace(old, item)),
            None => {
                self.0.push((name.into(), item));
                None
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&CompactString, &Item)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &CompactString> {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &Item> {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Item> {
        self.0.iter_mut().map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.0.capacity()
    }

    pub(super) fn entries_mut(&mut self) -> &mut Vec<(CompactString, Item)> {
        &mut self.0
    }
}

impl<'a> IntoIterator for &'a Attrs {
    type Item = (&'a CompactString, &'a Item);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (CompactString, Item)>,
        fn(&'a (CompactString, Item)) -> (&'a CompactString, &'a Item),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl std::ops::Index<&str> for Attrs {
    type Output = Item;

    fn index(&self, name: &str) -> &Item {
        self.get(name).expect("no such attribute")
    }
}
