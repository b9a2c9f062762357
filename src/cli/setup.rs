//! `gonghui migrate` and `gonghui check`: the database, keys and configuration.

use crate::config::Config;
use crate::error::AppError;

pub async fn migrate(config: &Config) -> Result<u8, AppError> {
    let db = crate::db::Db::connect(&config.database_url(), 2).await?;
    let (_, before) = crate::db::migrations::status(&db).await?;
    let n = crate::db::migrations::run(&db).await?;
    crate::registry::counters::ensure_built(&db).await?;
    if before.is_some_and(|v| v < crate::db::migrations::AUDIT_SEALS_VERSION) {
        // (A new database is sealed at its first start, where its keys are made.)
        // The audit head and archive records get their seals now, with the keys.
        let (keys, _) = crate::crypto::FieldKeys::load_or_create(&config.keys_path(), false)?;
        let key = crate::audit::ChainKey::from_keys(&keys);
        crate::audit::seal_on_upgrade(&db, &key).await?;
    }
    if before.is_some_and(|v| v < crate::db::migrations::SEARCH_COLUMNS_VERSION) {
        // The keyed search columns of existing members are computed with the keys.
        let (keys, _) = crate::crypto::FieldKeys::load_or_create(&config.keys_path(), false)?;
        crate::registry::search::backfill(&db, &keys).await?;
    }
    println!("已应用 {n} 个迁移。");
    Ok(0)
}

pub async fn check(config: &Config) -> Result<u8, AppError> {
    let mut problems = 0;
    println!(
        "配置：数据库 {}；数据目录 {}；监听 {}",
        redact(&config.database_url()),
        config.data_dir.display(),
        config.bind
    );
    let db = match crate::db::Db::connect(&config.database_url(), 2).await {
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
        match crate::db::migrations::status(db).await {
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
    match crate::crypto::FieldKeys::load_or_create(&keys, false) {
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
