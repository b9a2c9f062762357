//! Settings: defaults → optional config file → `GONGHUI_*` environment → command-line flags.
//! Every setting is documented in `gonghui.example.toml`.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `sqlite://path/file.db` or `postgres://user@host/db`; unset: `gonghui.db` in `data_dir`
    /// (created on first start). Read it through [`Config::database_url`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// Where the SQLite file, the key file and import uploads live by default.
    pub data_dir: PathBuf,
    /// Field-encryption key file; defaults to `<data_dir>/keys.toml`.
    pub keys_file: Option<PathBuf>,
    /// Address the web server listens on.
    pub bind: String,
    /// Seed a demo city the first time the database is created.
    pub demo_on_first_start: bool,
    /// Size of that demo city, in members.
    pub demo_members: u32,
    /// Largest import file accepted, in MiB.
    pub import_max_mb: u64,
    /// Largest file attached to a record (a letter, a scan, a recording), in MiB.
    pub attachment_max_mb: u64,
    /// Connections in the database pool.
    pub db_max_connections: u32,
    /// Log filter, e.g. `info` or `gonghui=debug,tower_http=info`.
    pub log: String,
    /// A session ends after this many minutes without a request.
    pub session_idle_minutes: u32,
    /// A session ends this many hours after login, however active.
    pub session_max_hours: u32,
    /// Failed logins (or second-factor codes) in a row that lock an account…
    pub lockout_failures: u32,
    /// …for this many minutes.
    pub lockout_minutes: u32,
    /// Failed logins from one address within 15 minutes before it must wait.
    pub login_ip_max_failures: u32,
    /// Password policy: minimum length…
    pub password_min_length: u32,
    /// …and how many of the four classes (upper case, lower case, digits, symbols) it mixes.
    pub password_min_classes: u32,
    /// Days before a password must be changed; 0 = never.
    pub password_max_age_days: u32,
    /// Administrator roles must use a second factor (TOTP).
    pub totp_required_for_admins: bool,
    /// Audit rows are kept in the database this many days (at least 180), then archived to files.
    pub audit_retention_days: u32,
    /// The audit checkpoint beside the key file (and a line in the log) is written at every
    /// start and whenever the chain has grown by this many rows.
    pub audit_checkpoint_rows: u32,
    /// Users reach the platform over HTTPS (usually through a TLS reverse proxy): cookies are
    /// marked Secure and HSTS is sent.
    pub public_https: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted reverse proxy).
    pub trust_proxy_headers: bool,
    /// A petition is accepted or refused within this many days of its receipt (信访工作条例: 15).
    pub petition_accept_days: u32,
    /// An accepted petition is answered within this many days (信访工作条例: 60).
    pub petition_reply_days: u32,
    /// The answer's deadline may be extended once, by at most this many days (信访工作条例: 30).
    pub petition_extension_max_days: u32,
    /// A labour dispute is mediated within this many days of its receipt (劳动争议调解仲裁法: 15).
    pub mediation_days: u32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            database_url: None,
            data_dir: PathBuf::from("data"),
            keys_file: None,
            bind: "127.0.0.1:8080".into(),
            demo_on_first_start: true,
            demo_members: 5000,
            import_max_mb: 200,
            attachment_max_mb: 20,
            db_max_connections: 8,
            log: "info".into(),
            session_idle_minutes: 30,
            session_max_hours: 12,
            lockout_failures: 5,
            lockout_minutes: 15,
            login_ip_max_failures: 30,
            password_min_length: 10,
            password_min_classes: 3,
            password_max_age_days: 90,
            totp_required_for_admins: true,
            audit_retention_days: 180,
            audit_checkpoint_rows: 100,
            public_https: false,
            trust_proxy_headers: false,
            petition_accept_days: 15,
            petition_reply_days: 60,
            petition_extension_max_days: 30,
            mediation_days: 15,
        }
    }
}

/// Command-line overrides; `None` leaves the lower layers in force.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
}

impl Config {
    /// `file`: an explicit config file (must exist); otherwise `gonghui.toml` if present.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> AppResult<Config> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(p) if !p.exists() => {
                return Err(AppError::bad_request(format!(
                    "配置文件{}不存在",
                    p.display()
                )));
            }
            Some(p) => fig = fig.merge(Toml::file(p)),
            None => fig = fig.merge(Toml::file("gonghui.toml")),
        }
        fig = fig
            .merge(Env::prefixed("GONGHUI_"))
            .merge(Serialized::defaults(overrides));
        fig.extract().map_err(|e| {
            AppError::bad_request(format!("配置有误：{e}（参见 gonghui.example.toml）"))
                .with_code("CONFIG")
        })
    }

    /// The database to use: the configured URL, or the SQLite file in the data folder.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("gonghui.db").display()))
    }

    pub fn keys_path(&self) -> PathBuf {
        self.keys_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("keys.toml"))
    }

    pub fn audit_archive_dir(&self) -> PathBuf {
        self.data_dir.join("audit-archive")
    }

    /// Where `audit verify` looks besides the database: archive files and the checkpoint.
    pub fn audit_sources(&self) -> crate::audit::verify::Sources {
        crate::audit::verify::Sources {
            archive_dir: self.audit_archive_dir(),
            checkpoint: Some(self.audit_checkpoint_path()),
            witnesses: Vec::new(),
        }
    }

    /// The audit chain's witness outside the database: beside the key file.
    pub fn audit_checkpoint_path(&self) -> PathBuf {
        crate::audit::checkpoint::path_beside(&self.keys_path())
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url().starts_with("sqlite:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_is_complete_and_valid() {
        let text = include_str!("../gonghui.example.toml");
        let cfg: Config = toml::from_str(text).expect("example parses with every key");
        assert_eq!(cfg.bind, Config::default().bind);
    }

    #[test]
    fn overrides_win() {
        let o = Overrides {
            bind: Some("127.0.0.1:9999".into()),
            ..Default::default()
        };
        let cfg = Config::load(None, &o).unwrap();
        assert_eq!(cfg.bind, "127.0.0.1:9999");
    }

    #[test]
    fn the_sqlite_file_lives_in_the_data_folder_unless_a_url_is_given() {
        let o = Overrides {
            data_dir: Some(PathBuf::from("/srv/gonghui")),
            ..Default::default()
        };
        let cfg = Config::load(None, &o).unwrap();
        assert_eq!(cfg.database_url(), "sqlite:///srv/gonghui/gonghui.db");
        let o = Overrides {
            database_url: Some("postgres://u@h/db".into()),
            ..o
        };
        assert_eq!(
            Config::load(None, &o).unwrap().database_url(),
            "postgres://u@h/db"
        );
    }
}
