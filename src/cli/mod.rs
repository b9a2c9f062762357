//! The `gonghui` command line: parsing and dispatch here, one file per command group.
//!
//! Exit codes: 0 done; 1 failed (a system problem, or a check that found something); 2 the
//! command line or the configuration is wrong; the import and audit commands add their own
//! (see [`import`] and `gonghui audit verify --help`).

mod account;
mod aid;
mod audit;
mod demo;
mod export;
mod import;
mod ledger;
mod serve;
mod setup;
mod stats;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{Config, Overrides};
use crate::error::AppError;

#[derive(Parser)]
#[command(name = "gonghui", version, about = "智慧工会平台：工会组织、单位和会员实名库", long_about = None)]
pub struct Cli {
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
pub enum Command {
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
    #[command(
        after_help = "Exit codes: 0 every row imported (or a dry run found no errors); \
        3 rows had errors and nothing was written (or a dry run found them); \
        4 the file was refused as a whole (not a spreadsheet, no header, a required column missing, too large); \
        5 --skip-invalid imported the valid rows and skipped rows with errors; \
        2 the command line is wrong; 1 anything else (e.g. the database cannot be reached)."
    )]
    Import {
        /// What the file holds.
        #[arg(value_parser = ["orgs", "units", "members", "petitions", "disputes"])]
        kind: String,
        /// The XLSX or CSV file (UTF-8, UTF-8 with BOM, or GBK).
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
        /// What to export.
        #[arg(value_parser = ["members"])]
        what: String,
        /// Union code: that union and everything below it.
        #[arg(long)]
        org: Option<String>,
        /// File format.
        #[arg(long, default_value = "xlsx", value_parser = ["xlsx", "csv"])]
        format: String,
        /// Include status left/deceased too (default: active and retired).
        #[arg(long)]
        all: bool,
        /// Full ID numbers and mobiles instead of masked ones (handle the file as sensitive data).
        #[arg(long)]
        full: bool,
        /// The file to write.
        #[arg(short = 'o', long)]
        output: PathBuf,
    },
    /// Registry statistics for a union subtree and a period.
    Stats {
        /// Union code: that union and everything below it (default: the whole registry's top).
        #[arg(long)]
        org: Option<String>,
        /// Period start, YYYY-MM-DD (default: 1 January of the end's year).
        #[arg(long)]
        from: Option<String>,
        /// Period end, YYYY-MM-DD (default: today).
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
        /// How many members the city has.
        #[arg(long, default_value_t = 5000)]
        members: u32,
        /// The same seed gives the same city.
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
    /// The money ledger: prove every posting balances and every balance equals its lines.
    Ledger {
        #[command(subcommand)]
        what: LedgerCommand,
    },
    /// Aid payouts.
    Aid {
        #[command(subcommand)]
        what: AidCommand,
    },
    /// Benchmarks that print their numbers (see docs/benchmarks.md).
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
}

#[derive(Subcommand)]
pub enum LedgerCommand {
    /// Check that every posting adds up to zero and every account's balance equals the sum of
    /// its lines; names each difference. Exit code 4 when something is wrong. Changes nothing.
    Verify {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum AidCommand {
    /// Record every line of a payout batch still waiting as paid (the bank confirmed the whole
    /// transfer file, or the goods were handed over), posting each chunk of lines in the same
    /// transaction as their status. Stopped at any point, every line is either paid and posted
    /// or still waiting; running it again pays the rest.
    Pay {
        /// The batch's id.
        batch: i64,
        /// Lines per transaction.
        #[arg(long, default_value_t = 500)]
        chunk: usize,
    },
}

#[derive(Subcommand)]
pub enum AccountCommand {
    /// Give an account a new one-time password at once, printed here, bypassing the two
    /// administrators (e.g. the only security administrator is locked out). Recorded in the audit trail.
    ResetPassword {
        /// The account's user name.
        username: String,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
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
pub enum BenchCommand {
    /// Import DIR/members.csv (or .xlsx) into the configured, empty database, with the floor and a re-import.
    Import {
        /// A folder with orgs.csv, units.csv and members.csv or members.xlsx (`gonghui demo --write-files`).
        dir: PathBuf,
        /// Which members file to import.
        #[arg(long, default_value = "csv", value_parser = ["csv", "xlsx"])]
        format: String,
    },
    /// Time stats, ID lookup and a filtered member page on the configured database.
    Queries {
        /// Repetitions of each query.
        #[arg(long, default_value_t = 30)]
        rounds: usize,
    },
    /// Time the console pages (server side, through the whole router) on the configured database.
    Pages {
        /// Repetitions of each page.
        #[arg(long, default_value_t = 20)]
        rounds: usize,
    },
    /// Time a payout batch (made and paid), a year's aid figures for the city and `ledger verify`,
    /// writing the rows they need first.
    Aid {
        /// Lines of the payout batch.
        #[arg(long, default_value_t = 10_000)]
        lines: usize,
        /// Paid lines the year's figures count (ten times a city's year).
        #[arg(long, default_value_t = 200_000)]
        paid: usize,
        /// Postings `ledger verify` checks.
        #[arg(long, default_value_t = 1_000_000)]
        postings: usize,
        /// Fund receipts (employer-months) the funds figures read: ten years of a city's.
        #[arg(long, default_value_t = 720_000)]
        receipts: usize,
        /// Refunds paid the funds figures read: ten years of a city's.
        #[arg(long, default_value_t = 17_000)]
        refunds: usize,
        /// Mutual-aid enrolments (employer-plans) over ten yearly plans.
        #[arg(long, default_value_t = 50_000)]
        enrolments: usize,
        /// Paid mutual-aid claims over ten years (ten times a city's 4,000 a year).
        #[arg(long, default_value_t = 400_000)]
        claims: usize,
        /// Repetitions of the figures.
        #[arg(long, default_value_t = 20)]
        rounds: usize,
    },
    /// Time the city's collective-contract coverage at several dates and an employer's page,
    /// writing contracts up to --contracts first.
    Contracts {
        /// Contracts the database should hold over ten years; missing ones are written.
        #[arg(long, default_value_t = 50_000)]
        contracts: usize,
        /// Employer-terms the contracts bind in all (regional and sector contracts bind many).
        #[arg(long, default_value_t = 200_000)]
        employer_terms: usize,
        /// Employers with a union the city should hold; missing ones are registered.
        #[arg(long, default_value_t = 20_000)]
        employers: usize,
        /// Repetitions of each measure.
        #[arg(long, default_value_t = 20)]
        rounds: usize,
    },
    /// Time the city's activity figures for a year, an activity's page and a check-in, writing
    /// activities and check-ins up to --activities first.
    Activities {
        /// Activities the database should hold over the last year; missing ones are written.
        #[arg(long, default_value_t = 50_000)]
        activities: usize,
        /// Check-ins the missing activities hold in all (about).
        #[arg(long, default_value_t = 2_000_000)]
        participations: usize,
        /// Repetitions of each measure.
        #[arg(long, default_value_t = 20)]
        rounds: usize,
    },
    /// Time casework queues, the city's case figures and case pages, generating cases up to --cases first.
    Casework {
        /// Cases (petitions and disputes) the database should hold; missing ones are generated.
        #[arg(long, default_value_t = 200_000)]
        cases: u64,
        /// Repetitions of each query.
        #[arg(long, default_value_t = 20)]
        rounds: usize,
    },
}

/// Parses the command line, loads the configuration, runs the command; returns the exit code.
pub fn main() -> std::process::ExitCode {
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

async fn run(command: Command, config: Config) -> Result<u8, AppError> {
    match command {
        Command::Serve { .. } => serve::serve(config).await,
        Command::Migrate => setup::migrate(&config).await,
        Command::Check => setup::check(&config).await,
        Command::Account {
            what: AccountCommand::ResetPassword { username },
        } => account::reset_password(&config, &username).await,
        Command::Import {
            kind,
            file,
            dry_run,
            skip_invalid,
            accept_uscc_warnings,
            blank_unknown_values,
            errors,
        } => {
            let opts = crate::registry::import::ImportOptions {
                dry_run,
                skip_invalid,
                accept_uscc_warnings,
                blank_unknown_values,
            };
            import::import(&config, &kind, &file, opts, errors.as_deref()).await
        }
        Command::Export {
            what: _,
            org,
            format,
            all,
            full,
            output,
        } => export::export(&config, org, &format, all, full, &output).await,
        Command::Stats {
            org,
            from,
            to,
            json,
            reconcile,
            rebuild,
        } => stats::stats(&config, org, from, to, json, reconcile, rebuild).await,
        Command::Demo {
            members,
            seed,
            write_files,
            files_only,
        } => demo::demo(&config, members, seed, write_files, files_only).await,
        Command::Audit { what } => audit::audit(&config, what).await,
        Command::Ledger { what } => ledger::ledger(&config, what).await,
        Command::Aid { what } => aid::aid(&config, what).await,
        Command::Bench { what } => match what {
            BenchCommand::Import { dir, format } => crate::bench::import(&config, &dir, &format)
                .await
                .map(|_| 0),
            BenchCommand::Queries { rounds } => {
                crate::bench::queries(&config, rounds).await.map(|_| 0)
            }
            BenchCommand::Pages { rounds } => crate::bench::pages(&config, rounds).await.map(|_| 0),
            BenchCommand::Aid {
                lines,
                paid,
                postings,
                receipts,
                refunds,
                enrolments,
                claims,
                rounds,
            } => crate::bench::aid::run(
                &config,
                crate::bench::aid::Sizes {
                    lines,
                    paid,
                    postings,
                    receipts,
                    refunds,
                    enrolments,
                    claims,
                },
                rounds,
            )
            .await
            .map(|_| 0),
            BenchCommand::Contracts {
                contracts,
                employer_terms,
                employers,
                rounds,
            } => crate::bench::contracts::run(
                &config,
                crate::bench::contracts::Sizes {
                    contracts,
                    employer_terms,
                    employers,
                },
                rounds,
            )
            .await
            .map(|_| 0),
            BenchCommand::Activities {
                activities,
                participations,
                rounds,
            } => crate::bench::activities::run(
                &config,
                crate::bench::activities::Sizes {
                    activities,
                    participations,
                },
                rounds,
            )
            .await
            .map(|_| 0),
            BenchCommand::Casework { cases, rounds } => {
                crate::bench::casework::run(&config, cases, rounds)
                    .await
                    .map(|_| 0)
            }
        },
    }
}
