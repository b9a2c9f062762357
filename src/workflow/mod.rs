//! Machinery every module with a workflow uses: a table of allowed transitions and deadlines
//! counted from the injectable clock. A module writes its states and actions once, as enums
//! and one table; this checks a transition, names a refused one in Chinese and replays a
//! history.

pub mod deadlines;

use crate::error::AppError;

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

/// The state `action` leads to from `from`, if the table allows it.
pub fn next<S: Named, A: Named>(table: &[Step<S, A>], from: S, action: A) -> Option<S> {
    table
        .iter()
        .find(|s| s.from == from && s.action == action)
        .map(|s| s.to)
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
