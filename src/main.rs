//! The `gonghui` command line.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use gonghui::app::{self, AppState};
use gonghui::audit::{self, Actor, Event};
use gonghui::config::{Config, Overrides};
use gonghui::error::AppError;
use gonghui::registry::export::{self, ExportFormat};
use gonghui::registry::import::{self, ImportKind, ImportOptions, Progress};
use gonghui::registry::members::MemberFilter;
use gonghui::registry::scope::Scope;
use gonghui::registry::{counters, demo, stats};

#[derive(Parser)]
#[command(name = "gonghui", version, about = "智慧工会平台：工会组织、单位和会员实名库", long_about = None)]
struct Cli {
    /// Config file (default: ./gonghui.toml if present). See gonghui.example.toml.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Database URL: postgres://user@host/db or sqlite://FILE (env GONGHUI_DATABASE_URL); default: gonghui.db in the data folder.
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Folder for the SQLite file and keys (env GONGHUI_DATA_DIR).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server (the default). First start creates the database, keys, demo city and administrator.
    Serve {
        /// Listen address, e.g. 127.0.0.1:8080 (env GONGHUI_BIND).
        #[arg(long)]
        bind: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Check configuration, database, keys and schema, and explain any problem.
    Check,
    /// Import unions (orgs), employers (units) or members from an XLSX or CSV file.
    Import {
        #[arg(value_parser = ["orgs", "units", "members"])]
        kind: String,
        file: PathBuf,
        /// Validate only; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Import the valid rows and skip invalid ones (default: all or nothing).
        #[arg(long)]
        skip_invalid: bool,
        /// Accept 统一社会信用代码 with a wrong check character.
        #[arg(long)]
        accept_uscc_warnings: bool,
        /// An optional coded field (学历, 民族 …) with a value outside its list is left empty
        /// with a warning instead of keeping the row out.
        #[arg(long)]
        blank_unknown_values: bool,
        /// Write the error report (XLSX) here.
        #[arg(long)]
        errors: Option<PathBuf>,
    },
    /// Export a member list.
    Export {
        #[arg(value_parser = ["members"])]
        what: String,
        /// Union code: that union and everything below it.
        #[arg(long)]
        org: Option<String>,
        #[arg(long, default_value = "xlsx", value_parser = ["xlsx", "csv"])]
        format: String,
        /// Include status left/deceased too (default: active and retired).
        #[arg(long)]
        all: bool,
        /// Full ID numbers and mobiles instead of masked ones (handle the file as sensitive data).
        #[arg(long)]
        full: bool,
        #[arg(short = 'o', long)]
        output: PathBuf,
    },
    /// Registry statistics for a union subtree and a period.
    Stats {
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Compare the running totals behind the city and district figures with the membership
        /// history; prints every difference and exits with 1 if there is any. Changes nothing.
        #[arg(long, conflicts_with = "rebuild")]
        reconcile: bool,
        /// Recompute the running totals from the membership history (after a restore, or when
        /// --reconcile found differences).
        #[arg(long)]
        rebuild: bool,
    },
    /// Load a synthetic demo city into an empty database (deterministic per seed).
    Demo {
        #[arg(long, default_value_t = 5000)]
        members: u32,
        #[arg(long, default_value_t = 2024)]
        seed: u64,
        /// Also write the same data as import files (orgs.csv, units.csv, members.csv, members.xlsx).
        #[arg(long)]
        write_files: Option<PathBuf>,
        /// Only write the files; do not touch the database.
        #[arg(long)]
        files_only: bool,
    },
    /// Accounts, on the server itself (for when no administrator can sign in).
    Account {
        #[command(subcommand)]
        what: AccountCommand,
    },
    /// The audit trail: verify its hash chain, or archive rows past the retention period.
    Audit {
        #[command(subcommand)]
        what: AuditCommand,
    },
    /// Benchmarks that print their numbers (see docs/benchmarks.md).
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Give an account a new one-time password at once, printed here, bypassing the two
    /// administrators (e.g. the only security administrator is locked out). Recorded in the audit trail.
    ResetPassword { username: String },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every audit row (and archive file) against the chain; names any altered, inserted
    /// or deleted row. Exit code 4 when something is wrong.
    Verify {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// A checkpoint line from the log, `SEQ:HASH` (repeatable): the chain must still hold
        /// that row with that seal. The checkpoint file beside the keys is compared anyway.
        #[arg(long, value_name = "SEQ:HASH")]
        witness: Vec<String>,
    },
    /// Move rows older than `audit_retention_days` to a file in <data_dir>/audit-archive/.
    Archive,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Import DIR/members.csv (or .xlsx) into the configured, empty database, with the floor and a re-import.
    Import {
        dir: PathBuf,
        #[arg(long, default_value = "csv", value_parser = ["csv", "xlsx"])]
        format: String,
    },
    /// Time stats, ID lookup and a filtered member page on the configured database.
    Queries {
        #[arg(long, default_value_t = 30)]
        rounds: usize,
    },
    /// Time the console pages (server side, through the whole router) on the configured database.
    Pages {
        #[arg(long, default_value_t = 20)]
        rounds: usize,
    },
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let overrides = Overrides {
        database_url: cli.database_url.clone(),
        data_dir: cli.data_dir.clone(),
        bind: match &cli.command {
            Some(Command::Serve { bind }) => bind.clone(),
            _ => None,
        },
    };
    let config = match Config::load(cli.config.as_deref(), &overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("错误：{}", e.message());
            return std::process::ExitCode::from(2);
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match rt.block_on(run(
        cli.command.unwrap_or(Command::Serve { bind: None }),
        config,
    )) {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            eprintln!("错误：{} [{}]", e.message(), e.code());
            if e.code() == "INTERNAL" {
                tracing::error!(error = ?e, "command failed");
            }
            std::process::ExitCode::from(1)
        }
    }
}

fn print_boot(boot: &app::Boot, config: &Config) {
    if boot.generated_keys {
        eprintln!("★ 已生成字段加密密钥：{}", config.keys_path().display());
        eprintln!("  请立即离线备份此文件。丢失后，已加密的身份证号和手机号将无法恢复。");
    }
    if let Some(d) = &boot.demo {
        eprintln!(
            "★ 已装入演示城市：{} 个工会、{} 家单位、{} 名会员（转会 {}、退休 {}、离会 {}）",
            d.orgs, d.units, d.members, d.transfers, d.retirements, d.leavers
        );
    }
    if !boot.accounts.is_empty() {
        eprintln!(
            "★ 已创建初始账号（一次性密码只显示这一次，首次登录后须修改；管理员还须绑定动态口令）："
        );
        for a in &boot.accounts {
            eprintln!(
                "  {:<12} {:<8} 一次性密码：{}",
                a.username,
                a.role.label(),
                a.password
            );
        }
    }
}

async fn run(command: Command, config: Config) -> Result<u8, AppError> {
    match command {
        Command::Serve { .. } => {
            refuse_remote_without_tls(&config)?;
            let (reg, boot) = app::bootstrap(&config, true).await?;
            print_boot(&boot, &config);
            let listener = tokio::net::TcpListener::bind(&config.bind)
                .await
                .map_err(|e| {
                    AppError::bad_request(format!(
                        "无法监听 {}：{e}（端口是否被占用？可用 --bind 换一个）",
                        config.bind
                    ))
                })?;
            let addr = listener.local_addr()?;
            eprintln!(
                "智慧工会平台已启动：http://{addr}/   API 文档：http://{addr}/api/docs/   （Ctrl-C 停止）"
            );
            let state = AppState::new(reg, config, gonghui::clock::system());
            app::spawn_daily_archiving(state.clone());
            app::spawn_audit_checkpoints(state.clone());
            app::serve(state.clone(), listener).await?;
            app::write_audit_checkpoint(&state.reg, &state.config, 0).await;
            Ok(0)
        }
        Command::Migrate => {
            let db = gonghui::db::Db::connect(&config.database_url(), 2).await?;
            let (_, before) = gonghui::db::migrations::status(&db).await?;
            let n = gonghui::db::migrations::run(&db).await?;
            gonghui::registry::counters::ensure_built(&db).await?;
            if before.is_some_and(|v| v < gonghui::db::migrations::AUDIT_SEALS_VERSION) {
                // (A new database is sealed at its first start, where its keys are made.)
                // The audit head and archive records get their seals now, with the keys.
                let (keys, _) =
                    gonghui::crypto::FieldKeys::load_or_create(&config.keys_path(), false)?;
                let key = gonghui::audit::ChainKey::from_keys(&keys);
                gonghui::audit::seal_on_upgrade(&db, &key).await?;
            }
            println!("已应用 {n} 个迁移。");
            Ok(0)
        }
        Command::Check => check(&config).await,
        Command::Account {
            what: AccountCommand::ResetPassword { username },
        } => {
            let (reg, _) = app::bootstrap(&config, false).await?;
            let actor = Actor::system(&reg.keys, "命令行（服务器上重置）");
            let (a, pw) = gonghui::auth::accounts::reset_on_server(
                &reg.db,
                &actor,
                &username,
                gonghui::db::now_ms(),
            )
            .await?;
            app::write_audit_checkpoint(&reg, &config, 0).await;
            println!(
                "已重置账号 {}（{}）的密码。一次性密码：{pw}\n只显示这一次，请当面交给本人；首次登录须修改。",
                a.username, a.role_label
            );
            Ok(0)
        }
        Command::Import {
            kind,
            file,
            dry_run,
            skip_invalid,
            accept_uscc_warnings,
            blank_unknown_values,
            errors,
        } => {
            let kind = ImportKind::parse(&kind)?;
            let meta = std::fs::metadata(&file).map_err(|e| {
                AppError::bad_request(format!("无法读取文件 {}：{e}", file.display()))
            })?;
            if meta.len() > config.import_max_mb * 1024 * 1024 {
                return Err(AppError::too_large(format!(
                    "文件超过 {}MB 的上限（可在配置 import_max_mb 中调整）",
                    config.import_max_mb
                )));
            }
            let data = std::fs::read(&file)?;
            let (reg, _) = app::bootstrap(&config, false).await?;
            let opts = ImportOptions {
                dry_run,
                skip_invalid,
                accept_uscc_warnings,
                blank_unknown_values,
            };
            let progress = Arc::new(Progress::default());
            let bar = indicatif::ProgressBar::new(100);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:40}] {pos}%")
                    .expect("valid template"),
            );
            let task = {
                let (reg, progress) = (reg.clone(), progress.clone());
                tokio::spawn(async move {
                    import::run(&reg, &Scope::all(), kind, Arc::new(data), &opts, progress).await
                })
            };
            while !task.is_finished() {
                bar.set_position(u64::from(progress.percent()));
                bar.set_message(format!(
                    "{} 已读{}行",
                    progress.phase(),
                    progress
                        .rows_read
                        .load(std::sync::atomic::Ordering::Relaxed)
                ));
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            bar.finish_and_clear();
            let (outcome, report) = task.await.map_err(AppError::internal)??;
            let detail = serde_json::json!({
                "kind": kind.code(), "file_name": file.file_name().map(|f| f.to_string_lossy().to_string()),
                "dry_run": dry_run, "skip_invalid": skip_invalid, "committed": outcome.committed,
                "rows_total": outcome.rows_total, "rows_invalid": outcome.rows_invalid,
                "inserted": outcome.inserted, "updated": outcome.updated, "unchanged": outcome.unchanged,
            });
            audit::record(
                &reg.db,
                &Actor::system(&reg.keys, "命令行"),
                gonghui::db::now_ms(),
                Event::new("import").detail(detail),
            )
            .await?;
            app::write_audit_checkpoint(&reg, &config, 0).await;
            for i in outcome.issues.iter().take(50) {
                let level = if i.severity == import::Severity::Error {
                    "错误"
                } else {
                    "提示"
                };
                println!("第{}行 [{}] {}：{}", i.row, level, i.column, i.message);
            }
            if outcome.issues.len() > 50 {
                println!(
                    "……共 {} 条问题，完整清单见错误报告（--errors FILE）",
                    outcome.errors + outcome.warnings
                );
            }
            if !outcome.ignored_columns.is_empty() {
                println!("已忽略无法识别的列：{}", outcome.ignored_columns.join("、"));
            }
            println!(
                "{}（用时 {:.1} 秒）",
                outcome.message,
                outcome.duration_ms as f64 / 1000.0
            );
            if let Some(path) = errors {
                std::fs::write(&path, report)?;
                println!("错误报告已写入 {}", path.display());
            }
            // Closing lets a checkpoint begun after a bulk load finish before the process ends.
            reg.db.close().await;
            Ok(if outcome.committed || (dry_run && outcome.errors == 0) {
                0
            } else {
                3
            })
        }
        Command::Export {
            what: _,
            org,
            format,
            all,
            full,
            output,
        } => {
            let (reg, _) = app::bootstrap(&config, false).await?;
            let filter = MemberFilter {
                org,
                status: all.then(|| "all".to_string()),
                ..Default::default()
            };
            let mut file = std::io::BufWriter::new(std::fs::File::create(&output)?);
            let n = export::export_members(
                &reg,
                &Scope::all(),
                &filter,
                ExportFormat::parse(&format)?,
                full,
                &mut file,
            )
            .await?;
            file.flush()?;
            tracing::info!(rows = n, full, "member list exported from the command line");
            let action = if full {
                "export.members_full"
            } else {
                "export.members"
            };
            let detail = serde_json::json!({ "rows": n, "format": format, "filter": filter, "reason": full.then_some("命令行导出") });
            audit::record(
                &reg.db,
                &Actor::system(&reg.keys, "命令行"),
                gonghui::db::now_ms(),
                Event::new(action).detail(detail),
            )
            .await?;
            app::write_audit_checkpoint(&reg, &config, 0).await;
            println!(
                "已导出 {n} 名会员到 {}{}",
                output.display(),
                if full {
                    "（含完整身份证号和手机号，请按敏感数据保管）"
                } else {
                    "（身份证号、手机号已脱敏）"
                }
            );
            Ok(0)
        }
        Command::Stats {
            org,
            from,
            to,
            json,
            reconcile,
            rebuild,
        } => {
            let (reg, _) = app::bootstrap(&config, false).await?;
            if rebuild {
                let rows = counters::rebuild(&reg.db).await?;
                println!("已按会籍历史重新计算统计累计数：{rows} 行。");
                return Ok(0);
            }
            if reconcile {
                let r = counters::reconcile(&reg.db).await?;
                if json {
                    let text = serde_json::to_string_pretty(&r).map_err(AppError::internal)?;
                    println!("{text}");
                } else {
                    for d in &r.differences {
                        println!(
                            "{} {} {}：记录为 {}，按历史应为 {}",
                            d.org_code,
                            d.day,
                            if d.nef_group.is_empty() {
                                "（非新就业形态）"
                            } else {
                                &d.nef_group
                            },
                            d.stored.describe(),
                            d.expected.describe()
                        );
                    }
                    println!(
                        "核对 {} 行累计数：{} 行不一致；重复事件人员名单缺 {} 人、多 {} 人。",
                        r.rows_checked,
                        r.differences.len(),
                        r.repeaters_missing,
                        r.repeaters_extra
                    );
                }
                let clean =
                    r.differences.is_empty() && r.repeaters_missing == 0 && r.repeaters_extra == 0;
                if !clean {
                    eprintln!(
                        "统计累计数与会籍历史不一致，可运行 gonghui stats --rebuild 重新计算。"
                    );
                }
                return Ok(if clean { 0 } else { 1 });
            }
            let q = stats::StatsQuery { org, from, to };
            let (org, period) = stats::resolve(&reg.db, &Scope::all(), &q).await?;
            let s = stats::compute(&reg.db, &org, &period).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&s).map_err(AppError::internal)?
                );
            } else {
                print_stats(&s);
            }
            Ok(0)
        }
        Command::Demo {
            members,
            seed,
            write_files,
            files_only,
        } => {
            if files_only {
                let dir = write_files.ok_or_else(|| {
                    AppError::bad_request("--files-only 需要同时给出 --write-files DIR")
                })?;
                let files = demo::generate(members, seed);
                demo::write_files(&files, &dir)?;
                println!(
                    "已写入 {}：orgs.csv、units.csv、members.csv、members.xlsx（{} 名会员）",
                    dir.display(),
                    files.members.len() - 1
                );
                return Ok(0);
            }
            let (reg, boot) = app::bootstrap(&config, false).await?;
            print_boot(&boot, &config);
            let started = std::time::Instant::now();
            let r = demo::seed(&reg, members, seed, write_files.as_deref()).await?;
            println!(
                "演示城市已装入：{} 个工会、{} 家单位、{} 名会员；转会 {}、退休 {}、离会 {}（用时 {:.1} 秒）",
                r.orgs,
                r.units,
                r.members,
                r.transfers,
                r.retirements,
                r.leavers,
                started.elapsed().as_secs_f64()
            );
            Ok(0)
        }
        Command::Audit { what } => {
            let (reg, _) = app::bootstrap(&config, false).await?;
            let actor = Actor::system(&reg.keys, "命令行");
            match what {
                AuditCommand::Verify { json, witness } => {
                    let mut sources = config.audit_sources();
                    for w in &witness {
                        sources
                            .witnesses
                            .push(gonghui::audit::verify::Witness::parse(w, "日志")?);
                    }
                    let report =
                        gonghui::audit::verify::verify(&reg.db, &actor.key, &sources).await?;
                    if json {
                        println!(
                            "{}",
                            serde_json::to_string_pretty(&report).map_err(AppError::internal)?
                        );
                    } else {
                        if report.ok() {
                            println!(
                                "审计记录完整：已核对数据库中 {} 条、归档文件中 {} 条，最后一条为第 {} 条。",
                                report.rows_checked, report.archived_rows_checked, report.last_seq
                            );
                        } else {
                            println!(
                                "审计记录校验未通过：最早一处问题在第 {} 条。共 {} 处问题：",
                                report.first_problem_seq().unwrap_or(0),
                                report.problems.len()
                            );
                            for p in &report.problems {
                                println!("  第{}条：{}", p.seq, p.message);
                            }
                        }
                        for n in &report.notices {
                            println!("  说明：{n}");
                        }
                    }
                    Ok(if report.ok() { 0 } else { 4 })
                }
                AuditCommand::Archive => {
                    match gonghui::audit::verify::archive(
                        &reg.db,
                        &actor,
                        &config.audit_sources(),
                        config.audit_retention_days,
                        gonghui::db::now_ms(),
                    )
                    .await?
                    {
                        Some(a) => println!(
                            "已将第 {} 至 {} 条审计记录（{} 条）归档到 {}",
                            a.from_seq,
                            a.upto_seq,
                            a.rows,
                            config.audit_archive_dir().join(&a.file).display()
                        ),
                        None => println!(
                            "没有超过保留期（{} 天）的审计记录。",
                            config.audit_retention_days.max(180)
                        ),
                    }
                    app::write_audit_checkpoint(&reg, &config, 0).await;
                    Ok(0)
                }
            }
        }
        Command::Bench { what } => match what {
            BenchCommand::Import { dir, format } => gonghui::bench::import(&config, &dir, &format)
                .await
                .map(|_| 0),
            BenchCommand::Queries { rounds } => {
                gonghui::bench::queries(&config, rounds).await.map(|_| 0)
            }
            BenchCommand::Pages { rounds } => {
                gonghui::bench::pages(&config, rounds).await.map(|_| 0)
            }
        },
    }
}

fn print_stats(s: &stats::Stats) {
    let m = &s.members;
    println!(
        "{}（{}）  统计期间 {} 至 {}",
        s.org_name, s.org_code, s.from, s.to
    );
    println!(
        "工会组织：期末 {} 个，期内新建 {} 个，其中新就业形态工会 {} 个，规范化 {} 个",
        s.unions.at_end,
        s.unions.new_in_period,
        s.unions.new_employment_at_end,
        s.unions.standardised_at_end
    );
    for k in &s.unions.by_kind {
        println!(
            "  {:<12} 期末 {:>6}  新建 {:>5}",
            k.label, k.at_end, k.new_in_period
        );
    }
    println!(
        "会员：期末 {} 人（期初 {}，净增 {}），期内入会 {}、离会 {}（含去世 {}）、转入 {}、转出 {}",
        m.at_end,
        m.at_start,
        m.net_change,
        m.joined,
        m.left,
        m.deceased,
        m.transferred_in,
        m.transferred_out
    );
    println!(
        "  其中女职工 {}、农民工 {}、新就业形态 {}；退休保留会籍 {}",
        m.female_at_end, m.migrant_at_end, m.new_employment_at_end, m.retired_at_end
    );
    for g in &m.new_employment_by_group {
        println!("    {:<10} {:>6}", g.group, g.count);
    }
    let rate = s
        .employers
        .membership_rate_percent
        .map(|r| format!("{r:.2}%"))
        .unwrap_or_else(|| "—".into());
    println!(
        "覆盖单位 {} 家（小微 {}），职工 {} 人，入会率 {rate}",
        s.employers.covered, s.employers.small_micro_covered, s.employers.employees_of_covered
    );
}

async fn check(config: &Config) -> Result<u8, AppError> {
    let mut problems = 0;
    println!(
        "配置：数据库 {}；数据目录 {}；监听 {}",
        redact(&config.database_url()),
        config.data_dir.display(),
        config.bind
    );
    let db = match gonghui::db::Db::connect(&config.database_url(), 2).await {
        Ok(db) => {
            println!("✔ 数据库可以连接");
            Some(db)
        }
        Err(e) => {
            println!("✘ {}", e.message());
            problems += 1;
            None
        }
    };
    let mut has_schema = false;
    if let Some(db) = &db {
        match gonghui::db::migrations::status(db).await {
            Ok((latest, Some(cur))) if cur == latest => {
                has_schema = true;
                println!("✔ 数据库结构为最新版本（{cur}）");
            }
            Ok((latest, Some(cur))) => {
                has_schema = true;
                println!("✘ 数据库结构版本 {cur}，程序需要 {latest}：请运行 gonghui migrate");
                problems += 1;
            }
            Ok((_, None)) => println!("• 数据库是空的：首次启动 gonghui serve 时会自动建表"),
            Err(e) => {
                println!("✘ 无法读取数据库结构版本：{}", e.message());
                problems += 1;
            }
        }
    }
    let keys = config.keys_path();
    match gonghui::crypto::FieldKeys::load_or_create(&keys, false) {
        Ok((k, _)) => {
            println!("✔ 字段加密密钥可读：{}", keys.display());
            if let (Some(db), true) = (&db, has_schema) {
                let sample: Option<Vec<u8>> =
                    sqlx::query_scalar("SELECT id_enc FROM members LIMIT 1")
                        .fetch_optional(db.pool())
                        .await
                        .ok()
                        .flatten();
                match sample.map(|s| k.decrypt(&s)) {
                    Some(Ok(_)) => println!("✔ 密钥与数据库中的加密数据匹配"),
                    Some(Err(_)) => {
                        println!(
                            "✘ 密钥无法解密数据库中的身份证号：密钥文件与数据库不属于同一套，请恢复正确的密钥备份"
                        );
                        problems += 1;
                    }
                    None => {}
                }
            }
        }
        Err(e) if has_schema => {
            println!("✘ {}", e.message());
            problems += 1;
        }
        Err(_) => println!("• 还没有密钥文件：首次启动时会在 {} 生成", keys.display()),
    }
    if problems == 0 {
        println!("检查通过。");
        Ok(0)
    } else {
        println!("发现 {problems} 个问题。");
        Ok(1)
    }
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Until accounts and roles exist, the API has no login: serving it beyond this machine would
/// expose the registry. Only loopback addresses are accepted for now.
fn refuse_remote_without_tls(config: &Config) -> Result<(), AppError> {
    let bind = config.bind.as_str();
    let host = bind
        .rsplit_once(':')
        .map(|(h, _)| h)
        .unwrap_or(bind)
        .trim_matches(['[', ']']);
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback || config.public_https {
        Ok(())
    } else {
        Err(AppError::bad_request(format!(
            "拒绝监听 {bind}：密码和会员个人信息不能以明文经网络传输。请在平台前配置 HTTPS 反向代理，并设置 public_https = true；仅本机使用时请监听 127.0.0.1"
        ))
        .with_code("CONFIG"))
    }
}
