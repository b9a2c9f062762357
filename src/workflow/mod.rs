//! Machinery every module with a workflow uses: a table of allowed transitions and deadlines
//! counted from the injectable clock. A module writes its states and actions once, as enums
//! and one table; this checks a transition, names a refused one in Chinese and replays a
//! history.

pub mod deadlines;
pub mod history;
pub mod inbox;
pub mod notice;
pub mod review;

use crate::error::{AppError, AppResult, FieldIssue};

/// Declares an enum of coded values (states, actions, categories): each variant with its
/// stored code and its Chinese label, and `Named` for it.
macro_rules! coded_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $code:literal, $label:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $crate::workflow::Named for $name {
            fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
            fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
            fn all() -> &'static [Self] {
                &[$($name::$variant),+]
            }
        }
    };
}
pub(crate) use coded_enum;

/// A typed text, trimmed; `None` when blank.
pub fn given(typed: Option<&str>) -> Option<&str> {
    typed.map(str::trim).filter(|s| !s.is_empty())
}

/// A problem with the field labelled `field`.
pub fn issue(field: &str, message: impl Into<String>) -> FieldIssue {
    FieldIssue {
        field: field.into(),
        message: message.into(),
    }
}

/// Reads an amount of money typed in 元 in `field` within `limits` ([`Fen::read`]); what is
/// wrong goes to `issues`.
pub fn money(
    field: &str,
    typed: Option<&str>,
    limits: crate::types::Limits,
    issues: &mut Vec<FieldIssue>,
) -> Option<crate::types::Fen> {
    crate::types::Fen::read(field, typed.unwrap_or(""), limits)
        .map_err(|m| issues.push(issue(field, m)))
        .ok()
}

/// Reads a coded value typed as its code or its Chinese label; a missing or unknown one is an
/// issue of `field` naming every choice.
pub fn pick<T: Named>(field: &str, typed: Option<&str>, issues: &mut Vec<FieldIssue>) -> Option<T> {
    let Some(t) = given(typed) else {
        issues.push(issue(field, format!("请选择{field}")));
        return None;
    };
    let found = T::all()
        .iter()
        .copied()
        .find(|v| v.code() == t || v.label() == t);
    if found.is_none() {
        let labels: Vec<&str> = T::all().iter().map(|v| v.label()).collect();
        issues.push(issue(
            field,
            format!("{field}“{t}”无法识别，可选：{}", labels.join("、")),
        ));
    }
    found
}

/// A list filter's coded value typed as its code or its Chinese label; blank is no filter, an
/// unknown value is refused naming `what`.
pub fn filter_value<T: Named>(what: &str, typed: Option<&str>) -> AppResult<Option<T>> {
    match given(typed) {
        None => Ok(None),
        Some(t) => T::all()
            .iter()
            .copied()
            .find(|v| v.code() == t || v.label() == t)
            .map(Some)
            .ok_or_else(|| AppError::invalid(format!("{what}“{t}”无法识别"))),
    }
}

/// The union a form names by its code in `field`, within `scope`; the top of the scope when
/// left blank; an unknown or out-of-scope code is an issue of `field`.
pub async fn union_in_scope(
    db: &crate::db::Db,
    scope: &crate::registry::scope::Scope,
    field: &str,
    typed: Option<&str>,
    issues: &mut Vec<FieldIssue>,
) -> AppResult<Option<crate::registry::orgs::Org>> {
    use crate::registry::orgs;
    Ok(match given(typed) {
        Some(code) => match orgs::get_by_code(db, scope, code).await {
            Ok(o) => Some(o),
            Err(_) => {
                issues.push(issue(
                    field,
                    format!("工会代码“{code}”不存在或不在您的管理范围内"),
                ));
                None
            }
        },
        None => orgs::scope_root(db, scope).await?,
    })
}

/// The employer a form may name by its 统一社会信用代码 in `field`, within `scope`; none when
/// left blank; a malformed, unknown or out-of-scope code is an issue of `field`.
pub async fn unit_in_scope(
    db: &crate::db::Db,
    scope: &crate::registry::scope::Scope,
    field: &str,
    typed: Option<&str>,
    issues: &mut Vec<FieldIssue>,
) -> AppResult<Option<crate::registry::units::Unit>> {
    let Some(code) = given(typed) else {
        return Ok(None);
    };
    let uscc = match crate::types::Uscc::parse(code) {
        Ok(u) => u,
        Err(e) => {
            issues.push(issue(field, e.message()));
            return Ok(None);
        }
    };
    match crate::registry::units::get_by_uscc(db, scope, uscc.as_str()).await {
        Ok(u) => Ok(Some(u)),
        Err(_) => {
            issues.push(issue(
                field,
                format!("统一社会信用代码“{code}”不是您管理范围内登记的单位"),
            ));
            Ok(None)
        }
    }
}

/// The whole-day period a list filter names (`from`/`to`, YYYY-MM-DD), for the drills behind
/// the figures.
pub fn period_filter(
    from: Option<&str>,
    to: Option<&str>,
) -> crate::error::AppResult<(Option<String>, Option<String>)> {
    let read = |typed: Option<&str>| -> crate::error::AppResult<Option<String>> {
        match given(typed) {
            None => Ok(None),
            Some(t) => Ok(Some(crate::types::parse_date(t)?.to_string())),
        }
    };
    Ok((read(from)?, read(to)?))
}

/// The day a step is taken, typed in `field` (blank: `today`): not after today, and not before
/// `since` — the day the record began, named `what` (提出日期, 结对日期 …) in the refusal. What is
/// wrong goes to `issues`.
pub fn step_day(
    field: &str,
    typed: Option<&str>,
    today: chrono::NaiveDate,
    (since, what): (&str, &str),
    issues: &mut Vec<FieldIssue>,
) -> Option<chrono::NaiveDate> {
    let day = match given(typed) {
        None => Some(today),
        typed => date(field, typed, issues),
    }?;
    if day > today {
        issues.push(issue(field, format!("{field}不能晚于今天")));
        return None;
    }
    if day.to_string().as_str() < since {
        issues.push(issue(field, format!("{field}不能早于{what}（{since}）")));
        return None;
    }
    Some(day)
}

/// A date a form requires in `field` (YYYY-MM-DD); missing or malformed is an issue of it.
pub fn date(
    field: &str,
    typed: Option<&str>,
    issues: &mut Vec<FieldIssue>,
) -> Option<chrono::NaiveDate> {
    match given(typed) {
        None => {
            issues.push(issue(field, format!("请填写{field}")));
            None
        }
        Some(s) => crate::types::parse_date(s)
            .map_err(|e| issues.push(issue(field, e.message())))
            .ok(),
    }
}

/// A text a step needs: not blank, at most `max` characters.
pub fn required(text: &str, field: &str, max: usize) -> AppResult<String> {
    let t = text.trim();
    let problem = if t.is_empty() {
        format!("请填写{field}")
    } else if t.chars().count() > max {
        format!("{field}不能超过{max}字")
    } else {
        return Ok(t.to_string());
    };
    Err(AppError::invalid_fields(
        problem.clone(),
        vec![issue(field, problem)],
    ))
}

/// A state or an action of a workflow: a stable code (stored) and a Chinese label (shown).
pub trait Named: Copy + Eq + std::fmt::Debug + 'static {
    fn code(self) -> &'static str;
    fn label(self) -> &'static str;
    /// Every value, to parse stored codes.
    fn all() -> &'static [Self];

    fn parse(code: &str) -> Option<Self> {
        Self::all().iter().copied().find(|v| v.code() == code)
    }
}

/// One allowed transition: in state `from`, `action` leads to `to`.
#[derive(Debug, Clone, Copy)]
pub struct Step<S, A> {
    pub from: S,
    pub action: A,
    pub to: S,
}

/// A column a step sets on its case row.
#[derive(Debug, Clone)]
pub enum Set {
    Text(&'static str, Option<String>),
    Number(&'static str, Option<i64>),
    /// An expression made by the code from whole numbers it holds (a counter, an account id),
    /// never from typed text: `sessions = sessions + 1`.
    Expr(String),
}

/// Moves the case `id` of `table` from state `from` to `to` and sets `sets`, only if it is
/// still at `version` in `from` (nobody acted in between); otherwise 409 `CASE_CHANGED` with
/// `what` (这件诉求, 这件案件 …) named. Tables and columns are names from the code.
#[allow(clippy::too_many_arguments)]
pub async fn update_case(
    tx: &mut crate::db::Tx,
    table: &str,
    id: i64,
    version: i64,
    from: &str,
    to: &str,
    now: i64,
    sets: &[Set],
    what: &str,
) -> AppResult<()> {
    let mut sql = format!("UPDATE {table} SET status = $1, version = version + 1, updated_at = $2");
    let mut n = 2;
    for s in sets {
        match s {
            Set::Text(col, _) | Set::Number(col, _) => {
                n += 1;
                sql.push_str(&format!(", {col} = ${n}"));
            }
            Set::Expr(e) => sql.push_str(&format!(", {e}")),
        }
    }
    sql.push_str(&format!(
        " WHERE id = ${} AND version = ${} AND status = ${}",
        n + 1,
        n + 2,
        n + 3
    ));
    let mut q = sqlx::query(&sql).bind(to.to_string()).bind(now);
    for s in sets {
        q = match s {
            Set::Text(_, v) => q.bind(v.clone()),
            Set::Number(_, v) => q.bind(*v),
            Set::Expr(_) => q,
        };
    }
    let changed = q
        .bind(id)
        .bind(version)
        .bind(from.to_string())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if changed != 1 {
        return Err(AppError::conflict(
            "CASE_CHANGED",
            format!("{what}刚刚已被其他人处理，请刷新后查看最新情况"),
        ));
    }
    Ok(())
}

/// The state `action` leads to from `from`, if the table allows it.
pub fn next<S: Named, A: Named>(table: &[Step<S, A>], from: S, action: A) -> Option<S> {
    table
        .iter()
        .find(|s| s.from == from && s.action == action)
        .map(|s| s.to)
}

/// The action typed on `what` (这项成果 …) in stored state `status`, and where `table` takes it:
/// a blank or unknown action is 422, one the table does not allow from `status` is 409.
pub fn transition<S: Named, A: Named>(
    table: &[Step<S, A>],
    what: &str,
    status: &str,
    typed: &str,
) -> AppResult<(S, A, S)> {
    let action: A =
        filter_value("操作", Some(typed))?.ok_or_else(|| AppError::invalid("请选择操作"))?;
    let from = S::parse(status)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("{what}: unknown status {status}")))?;
    let to = next(table, from, action).ok_or_else(|| refused(what, from, action))?;
    Ok((from, action, to))
}

/// The refusal of an action the table does not allow in the current state.
pub fn refused<S: Named, A: Named>(what: &str, from: S, action: A) -> AppError {
    AppError::conflict(
        "TRANSITION_REFUSED",
        format!("{what}当前为“{}”，不能“{}”", from.label(), action.label()),
    )
}

/// The state a history of actions leads to from `initial`; the index of the first action the
/// table refuses otherwise.
pub fn replay<S: Named, A: Named>(
    table: &[Step<S, A>],
    initial: S,
    actions: impl IntoIterator<Item = A>,
) -> Result<S, usize> {
    let mut state = initial;
    for (i, a) in actions.into_iter().enumerate() {
        state = next(table, state, a).ok_or(i)?;
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Light {
        Off,
        On,
    }
    impl Named for Light {
        fn code(self) -> &'static str {
            match self {
                Light::Off => "off",
                Light::On => "on",
            }
        }
        fn label(self) -> &'static str {
            match self {
                Light::Off => "关",
                Light::On => "开",
            }
        }
        fn all() -> &'static [Self] {
            &[Light::Off, Light::On]
        }
    }
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Press {
        Switch,
    }
    impl Named for Press {
        fn code(self) -> &'static str {
            "switch"
        }
        fn label(self) -> &'static str {
            "按开关"
        }
        fn all() -> &'static [Self] {
            &[Press::Switch]
        }
    }

    #[test]
    fn a_table_decides_replays_and_refuses_in_words() {
        let table = [Step {
            from: Light::Off,
            action: Press::Switch,
            to: Light::On,
        }];
        assert_eq!(next(&table, Light::Off, Press::Switch), Some(Light::On));
        assert_eq!(next(&table, Light::On, Press::Switch), None);
        assert_eq!(replay(&table, Light::Off, [Press::Switch]), Ok(Light::On));
        assert_eq!(
            replay(&table, Light::Off, [Press::Switch, Press::Switch]),
            Err(1)
        );
        assert_eq!(Light::parse("on"), Some(Light::On));
        let e = refused("灯", Light::On, Press::Switch);
        assert_eq!(e.message(), "灯当前为“开”，不能“按开关”");
        assert_eq!(e.code(), "TRANSITION_REFUSED");
    }
}
