//! The org-subtree scope every registry read and write takes. A caller sees and changes only
//! records whose union lies in its subtree; anything else answers "not found".

use crate::db::{Db, path_upper};
use crate::error::{AppError, AppResult};

/// The row `id` of `select` (its columns and FROM, the record's table as `alias`) if the
/// record's `org_path` is in `scope`; not found (`what`) otherwise.
pub async fn one_in_scope<T>(
    db: &Db,
    select: &str,
    alias: &str,
    id: i64,
    scope: &Scope,
    what: &str,
) -> AppResult<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let (lo, hi) = scope.range();
    let found: Option<T> = sqlx::query_as(&format!(
        "SELECT {select} WHERE {alias}.id = $1 AND {alias}.org_path >= $2 AND {alias}.org_path < $3"
    ))
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?;
    found.ok_or_else(|| AppError::not_found(what))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    path: String,
}

impl Scope {
    /// The whole registry (the command line, the system itself).
    pub fn all() -> Scope {
        Scope { path: "/".into() }
    }

    /// No part of the registry (member accounts, accounts without a union).
    pub fn nothing() -> Scope {
        // Materialised paths start with '/', so this prefix matches none.
        Scope { path: "!".into() }
    }

    /// The subtree rooted at the union with this materialised path.
    pub fn subtree(path: &str) -> Scope {
        Scope {
            path: path.to_string(),
        }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// Inclusive lower and exclusive upper bound for `path >= $lo AND path < $hi`.
    pub fn range(&self) -> (String, String) {
        (self.path.clone(), path_upper(&self.path))
    }

    pub fn contains(&self, path: &str) -> bool {
        path.starts_with(&self.path)
    }

    pub fn is_all(&self) -> bool {
        self.path == "/"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtree_contains_descendants_only() {
        let s = Scope::subtree("/1/23/");
        assert!(s.contains("/1/23/"));
        assert!(s.contains("/1/23/9/"));
        assert!(!s.contains("/1/2/"));
        assert!(!s.contains("/1/234/"));
        let (lo, hi) = s.range();
        assert!(lo.as_str() <= "/1/23/9/" && "/1/23/9/" < hi.as_str());
        assert!(!("/1/234/" >= lo.as_str() && "/1/234/" < hi.as_str()));
    }
}
