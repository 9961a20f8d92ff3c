//! uid → user name, cached: the passwd list is read on first need and again at most every 30 s when
//! an unknown uid shows up. Imports nothing of threadtop: no `app`, `ui`, `lab`, the lab's data
//! (`crate::model::{demo, experiment}`), ratatui or crossterm.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const RELOAD_AFTER: Duration = Duration::from_secs(30);

#[derive(Default)]
pub struct UserNames {
    names: HashMap<u32, Arc<str>>,
    loaded_at: Option<Instant>,
}

impl UserNames {
    pub fn new() -> Self {
        Self::default()
    }

    /// The user name of `uid`, or the number itself when no passwd entry has it.
    pub fn name(&mut self, uid: u32) -> Arc<str> {
        if let Some(n) = self.names.get(&uid) {
            return n.clone();
        }
        if self.loaded_at.is_none_or(|t| t.elapsed() >= RELOAD_AFTER) {
            self.reload();
            if let Some(n) = self.names.get(&uid) {
                return n.clone();
            }
        }
        // Not cached, so a user created later is found after the next reload.
        Arc::from(uid.to_string())
    }

    fn reload(&mut self) {
        self.loaded_at = Some(Instant::now());
        if let Ok(users) = sysinfo::Users::new_with_refreshed_list() {
            for u in users.iter() {
                self.names.entry(**u.id()).or_insert_with(|| Arc::from(u.name()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_and_unknown() {
        let mut u = UserNames::new();
        assert_eq!(&*u.name(0), "root");
        assert!(Arc::ptr_eq(&u.name(0), &u.name(0)));
        assert_eq!(&*u.name(4_000_000_000), "4000000000");
    }
}
