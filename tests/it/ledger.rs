//! The money ledger: balanced postings only, balances kept with their lines, no overdraft even
//! at once, a movement posted once, reversals once; `gonghui ledger verify` finds any
//! tampering and says so by its exit code.

use gonghui::audit::Actor;
use gonghui::error::AppError;
use gonghui::ledger::{self, Books, Line, NewPosting};
use gonghui::types::Fen;

use crate::helpers::*;

struct Ledger {
    books: Books,
    /// 资金来源 (may go below zero), 帮扶资金, 已发放.
    source: i64,
    fund: i64,
    paid: i64,
}

async fn books_of(app: &TestApp, code: &str) -> Books {
    let (org_id, org_path): (i64, String) =
        sqlx::query_as("SELECT id, path FROM orgs WHERE code = $1")
            .bind(code)
            .fetch_one(app.reg.db.pool())
            .await
            .unwrap();
    Books { org_id, org_path }
}

async fn open_books(app: &TestApp, code: &str) -> Ledger {
    let books = books_of(app, code).await;
    let b = books.clone();
    let (source, fund, paid) = app
        .reg
        .db
        .write(move |tx| {
            let b = b.clone();
            Box::pin(async move {
                let now = gonghui::db::now_ms();
                let s = ledger::ensure_account(tx, &b, "source", "资金来源", true, now).await?;
                let f = ledger::ensure_account(tx, &b, "aid_fund", "帮扶资金", false, now).await?;
                let p = ledger::ensure_account(tx, &b, "paid_out", "已发放", false, now).await?;
                Ok((s.id, f.id, p.id))
            })
        })
        .await
        .unwrap();
    Ledger {
        books,
        source,
        fund,
        paid,
    }
}

async fn post(
    app: &TestApp,
    books: &Books,
    lines: &[(i64, i64)],
    key: Option<&str>,
) -> Result<i64, AppError> {
    post_on(app, books, lines, key, chrono::Local::now().date_naive()).await
}

/// A posting dated `on`.
async fn post_on(
    app: &TestApp,
    books: &Books,
    lines: &[(i64, i64)],
    key: Option<&str>,
    on: chrono::NaiveDate,
) -> Result<i64, AppError> {
    let actor = Actor::system(&app.reg.keys, "test");
    let p = NewPosting {
        on,
        memo: "测试记账".into(),
        source: None,
        idempotency_key: key.map(str::to_string),
        lines: lines
            .iter()
            .map(|(account_id, fen)| Line {
                account_id: *account_id,
                amount: Fen(*fen),
            })
            .collect(),
    };
    let books = books.clone();
    app.reg
        .db
        .write(move |tx| {
            let (p, books, actor) = (p.clone(), books.clone(), actor.clone());
            Box::pin(async move {
                ledger::post(tx, &actor, &books, &p, None, gonghui::db::now_ms()).await
            })
        })
        .await
}

async fn reverse(app: &TestApp, id: i64, reason: &str) -> Result<i64, AppError> {
    let actor = Actor::system(&app.reg.keys, "test");
    let reason = reason.to_string();
    app.reg
        .db
        .write(move |tx| {
            let (actor, reason) = (actor.clone(), reason.clone());
            Box::pin(async move {
                let today = chrono::Local::now().date_naive();
                ledger::reverse(tx, &actor, id, today, &reason, gonghui::db::now_ms()).await
            })
        })
        .await
}

async fn balance(app: &TestApp, account: i64) -> i64 {
    app.scalar(&format!(
        "SELECT balance_fen FROM ledger_accounts WHERE id = {account}"
    ))
    .await
}

#[tokio::test]
async fn money_moves_only_in_balanced_postings_and_is_never_overdrawn_posted_twice_or_reversed_twice()
 {
    let app = spawn_app().await;
    app.seed_tree().await;
    let l = open_books(&app, "U1").await;
    let other = open_books(&app, "U3").await;
    let (s, f, p) = (l.source, l.fund, l.paid);
    // 1,000.00 元 received into the aid fund, 300.00 paid out of it.
    post(&app, &l.books, &[(s, -100_000), (f, 100_000)], None)
        .await
        .unwrap();
    let payout = post(
        &app,
        &l.books,
        &[(f, -30_000), (p, 30_000)],
        Some("payout-line:1"),
    )
    .await
    .unwrap();
    assert_eq!(
        (balance(&app, f).await, balance(&app, p).await),
        (70_000, 30_000)
    );

    // Refused, and nothing written: overdraft, unbalanced, another union's account, the same
    // movement again.
    let postings = app.scalar("SELECT COUNT(*) FROM ledger_postings").await;
    let e = post(&app, &l.books, &[(f, -80_000), (p, 80_000)], None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "LEDGER_INSUFFICIENT", "{}", e.message());
    assert!(
        e.message().contains("帮扶资金") && e.message().contains("800.00"),
        "{}",
        e.message()
    );
    let e = post(&app, &l.books, &[(f, -100), (p, 99)], None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "LEDGER_UNBALANCED");
    let e = post(&app, &l.books, &[(f, -100), (other.paid, 100)], None)
        .await
        .unwrap_err();
    assert!(e.message().contains("不属于本工会"), "{}", e.message());
    let e = post(
        &app,
        &l.books,
        &[(f, -30_000), (p, 30_000)],
        Some("payout-line:1"),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "LEDGER_DUPLICATE");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM ledger_postings").await,
        postings
    );
    assert_eq!(
        (balance(&app, f).await, balance(&app, p).await),
        (70_000, 30_000)
    );
    assert_eq!(balance(&app, other.paid).await, 0);

    // A reversal puts the money back, once; a reversal is not itself reversed.
    let undo = reverse(&app, payout, "发放对象有误").await.unwrap();
    assert_eq!(
        (balance(&app, f).await, balance(&app, p).await),
        (100_000, 0)
    );
    assert_eq!(
        reverse(&app, payout, "再冲一次").await.unwrap_err().code(),
        "LEDGER_REVERSED"
    );
    assert_eq!(
        reverse(&app, undo, "冲销的冲销").await.unwrap_err().code(),
        "LEDGER_REVERSAL"
    );
    assert!(
        reverse(&app, payout, " ").await.is_err(),
        "a reason is required"
    );
    let memo: String = sqlx::query_scalar("SELECT memo FROM ledger_postings WHERE id = $1")
        .bind(undo)
        .fetch_one(app.reg.db.pool())
        .await
        .unwrap();
    assert!(
        memo.contains("冲销") && memo.contains("发放对象有误"),
        "{memo}"
    );

    // Two payouts at once from a fund that holds one of them: exactly one goes through.
    let both = [(f, -60_000), (p, 60_000)];
    let (a, b) = tokio::join!(
        post(&app, &l.books, &both, None),
        post(&app, &l.books, &both, None)
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{a:?} {b:?}"
    );
    assert_eq!(balance(&app, f).await, 40_000);
    let audited = app
        .scalar("SELECT COUNT(*) FROM audit_log WHERE action IN ('ledger.post', 'ledger.reverse')")
        .await;
    assert_eq!(
        audited, 4,
        "every posting and reversal is in the audit trail"
    );
    let v = ledger::verify(&app.reg.db).await.unwrap();
    assert!(v.ok(), "{:?}", v.problems);
    assert_eq!((v.postings, v.lines), (4, 8));

    // The 经审 view: a district's auditor reads its unions' accounts and postings, not the
    // other district's; a cadre without finance.read is refused.
    post(
        &app,
        &other.books,
        &[(other.source, -500), (other.fund, 500)],
        None,
    )
    .await
    .unwrap();
    app.add_account("jingshen", "auditor", Some("D1"), None)
        .await;
    let auditor = app.signed_in("jingshen", TESTER_PASSWORD).await;
    let (s, accounts) = app.get_as(&auditor, "/api/v1/ledger/accounts").await;
    assert_eq!(s, 200, "{accounts}");
    let accounts = accounts.as_array().unwrap();
    assert_eq!(
        accounts.len(),
        3,
        "U1's three accounts, not U3's: {accounts:?}"
    );
    let fund = accounts.iter().find(|a| a["code"] == "aid_fund").unwrap();
    assert_eq!(
        (fund["balance"].as_str(), fund["org_code"].as_str()),
        (Some("400.00"), Some("U1"))
    );
    let (_, page) = app
        .get_as(
            &auditor,
            &format!("/api/v1/ledger/postings?account={}", l.paid),
        )
        .await;
    assert_eq!(
        page["total"], 3,
        "the payout, its reversal, the payout at once: {page}"
    );
    let lines = page["rows"][0]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["amount"], "-600.00");
    let (s, _) = app.get_as(&auditor, "/api/v1/ledger/postings?org=D2").await;
    assert_eq!(s, 404);
    app.add_account("officer_u1", "officer", Some("U1"), None)
        .await;
    let officer = app.signed_in("officer_u1", TESTER_PASSWORD).await;
    let (s, _) = app.get_as(&officer, "/api/v1/ledger/accounts").await;
    assert_eq!(s, 403, "a case officer does not hold finance.read");
}

#[tokio::test]
async fn random_movements_keep_every_balance_equal_to_its_lines_and_verify_finds_tampering() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let l = open_books(&app, "U1").await;
    let accounts = [l.source, l.fund, l.paid];
    let mut rng = Lcg(11);
    // Money in first, so most movements can go through; some still overdraw and are refused.
    let mut posted = vec![
        post(
            &app,
            &l.books,
            &[(l.source, -2_000_000), (l.fund, 2_000_000)],
            None,
        )
        .await
        .unwrap(),
    ];
    let today = chrono::Local::now().date_naive();
    // Every movement that went through, by posting: its day and (account, fen) lines.
    let mut moved: std::collections::HashMap<i64, (chrono::NaiveDate, Vec<(i64, i64)>)> =
        std::collections::HashMap::new();
    moved.insert(
        posted[0],
        (today, vec![(l.source, -2_000_000), (l.fund, 2_000_000)]),
    );
    let mut refused = 0;
    for _ in 0..80 {
        if !posted.is_empty() && rng.below(5) == 0 {
            let id = posted[rng.below(posted.len() as u64) as usize];
            if let Ok(r) = reverse(&app, id, "随机冲销").await {
                let lines = moved[&id].1.iter().map(|(a, f)| (*a, -f)).collect();
                moved.insert(r, (today, lines));
            }
            continue;
        }
        let from = accounts[rng.below(3) as usize];
        let to = accounts[rng.below(3) as usize];
        if from == to {
            continue;
        }
        let fen = 1 + rng.below(400_000) as i64;
        // Dated over the last fourteen months: balances at earlier dates span many months.
        let on = today - chrono::Duration::days(rng.below(420) as i64);
        let lines = [(from, -fen), (to, fen)];
        match post_on(&app, &l.books, &lines, None, on).await {
            Ok(id) => {
                posted.push(id);
                moved.insert(id, (on, lines.to_vec()));
            }
            Err(e) => {
                assert_eq!(e.code(), "LEDGER_INSUFFICIENT");
                refused += 1;
            }
        }
    }
    // What the held accounts (帮扶资金, 已发放) held at the end of earlier days equals the
    // movements dated by then, at month ends, mid-month and today.
    for back in [0i64, 1, 17, 45, 200, 364, 419, 500] {
        let on = today - chrono::Duration::days(back);
        let mut expected: std::collections::BTreeMap<String, i64> = Default::default();
        for (day, lines) in moved.values() {
            for (a, f) in lines {
                if *day <= on && *a != l.source {
                    *expected
                        .entry(if *a == l.fund { "aid_fund" } else { "paid_out" }.into())
                        .or_default() += f;
                }
            }
        }
        let got: std::collections::BTreeMap<String, i64> =
            ledger::held_at(&app.reg.db, &l.books.org_path, on)
                .await
                .unwrap()
                .into_iter()
                .filter(|(_, f)| *f != 0)
                .collect();
        expected.retain(|_, f| *f != 0);
        assert_eq!(got, expected, "held at {on}");
    }
    assert!(posted.len() > 30, "{} postings went through", posted.len());
    assert!(refused > 0, "some overdraw and are refused");
    // The kept balances: equal to their lines, never below zero where they must not be, and
    // adding up to zero (money only moves between accounts).
    let v = ledger::verify(&app.reg.db).await.unwrap();
    assert!(v.ok(), "{:?}", v.problems);
    let (fund, paid) = (balance(&app, l.fund).await, balance(&app, l.paid).await);
    assert!(fund >= 0 && paid >= 0, "{fund} {paid}");
    assert_eq!(balance(&app, l.source).await + fund + paid, 0);

    // The command says the same, by its exit code too.
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_gonghui"))
            .args(["ledger", "verify"])
            .env(
                "GONGHUI_DATABASE_URL",
                app.config.database_url.as_deref().unwrap(),
            )
            .env("GONGHUI_DATA_DIR", &app.config.data_dir)
            .env("GONGHUI_LOG", "warn")
            .output()
            .expect("run gonghui")
    };
    let out = run();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("账目平衡"));
    // A balance changed behind the ledger's back, and a line: both named, exit code 4.
    sqlx::query("UPDATE ledger_accounts SET balance_fen = balance_fen + 1 WHERE id = $1")
        .bind(l.fund)
        .execute(app.reg.db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE ledger_lines SET amount_fen = amount_fen + 500 WHERE id = (SELECT MIN(id) FROM ledger_lines)")
        .execute(app.reg.db.pool())
        .await
        .unwrap();
    let out = run();
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{said}");
    assert!(said.contains("帮扶资金") && said.contains("相差"), "{said}");
    assert!(said.contains("合计 5.00 元，应为 0"), "{said}");
    assert!(
        said.contains("记载发生额"),
        "the month of the changed line: {said}"
    );
}
