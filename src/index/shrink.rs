//! A project's index is held until the rules end: once built, its lists keep no spare room.
//! Only lists: a hash table keeps its size, since its order of iteration follows it.

use super::Project;

impl Project {
    pub(super) fn shrink(&mut self) {
        self.perms.shrink_to_fit();
        for at in self.by_label.values_mut().flat_map(|m| m.values_mut()) {
            at.shrink_to_fit();
        }
        for labels in self.by_codename.values_mut() {
            labels.shrink_to_fit();
        }
        for at in self.models_by_label.values_mut() {
            at.shrink_to_fit();
        }
        self.code_models.shrink_to_fit();
    }
}
