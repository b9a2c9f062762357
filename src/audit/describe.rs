//! The audit trail in plain Chinese for the console: every action named, its details as a
//! sentence (what changed from what to what, why, how many), coded values in words. The
//! stored rows stay as they are (they are hashed into the chain); this is only how they read.

use serde_json::Value;

/// The Chinese name of an action.
pub fn action_label(action: &str) -> &'static str {
    match action {
        "login.failure" => "登录失败",
        "login.locked" => "账号锁定期间尝试登录",
        "login.password_ok" => "登录：密码验证通过",
        "login.totp_ok" => "登录：动态口令验证通过",
        "login.totp_failure" => "登录失败：动态口令错误",
        "logout" => "退出登录",
        "logout.all" => "退出所有登录",
        "account.create" => "新建账号",
        "account.approve" => "核准账号",
        "account.activate" => "账号首次使用",
        "account.disable" => "停用账号",
        "account.enable" => "启用账号",
        "account.reset_password" => "重置密码",
        "account.password_change" => "修改密码",
        "account.role" => "更改角色或范围",
        "account.unlock" => "解除锁定",
        "account.reset_totp" => "重置动态口令",
        "account.totp_enrol" => "绑定动态口令",
        "token.create" => "签发接口令牌",
        "token.revoke" => "吊销接口令牌",
        "org.create" => "新建工会",
        "org.update" => "修改工会信息",
        "org.move" => "调整上级工会",
        "org.close" => "注销工会",
        "org.officer_add" => "登记工会负责人",
        "org.officer_remove" => "工会负责人卸任",
        "unit.save" => "登记或修改用人单位",
        "member.enrol" => "登记入会",
        "member.update" => "修改会员信息",
        "member.self_update" => "会员本人修改联系方式",
        "member.event" => "办理会籍变动",
        "member.reveal" => "查看完整身份证号和手机号",
        "transfer.request" => "申请转会",
        "transfer.accept" => "接收转会",
        "transfer.decline" => "退回转会申请",
        "transfer.cancel" => "撤回转会申请",
        "export.members" => "导出会员名单",
        "export.members_full" => "导出会员名单（完整信息）",
        "import" => "批量导入",
        "import.report_download" => "下载导入错误报告",
        "audit.verify" => "校验审计链",
        "audit.archive" => "审计日志归档",
        _ => "其他操作",
    }
}

/// Every action the console names, for its action filter: (code, label).
pub const FILTER_GROUPS: &[(&str, &str)] = &[
    ("login.", "登录与退出"),
    ("account.", "账号管理"),
    ("token.", "接口令牌"),
    ("org.", "工会组织"),
    ("unit.", "用人单位"),
    ("member.", "会员"),
    ("transfer.", "转会"),
    ("export.", "导出"),
    ("import", "批量导入"),
    ("import.", "导入错误报告"),
    ("audit.", "审计"),
];

fn key_label(key: &str) -> &str {
    match key {
        "username" => "用户名",
        "role" => "角色",
        "org" | "org_id" => "工会",
        "status" => "状态",
        "modules" => "业务模块",
        "member_id" => "会员",
        "name" => "名称",
        "code" => "代码",
        "kind" => "类别",
        "region_code" => "行政区划",
        "founded_on" => "成立日期",
        "new_employment" => "新就业形态",
        "industry" => "行业",
        "standardised" => "规范化建设",
        "parent" => "上级工会",
        "path" => "组织路径",
        "closed_on" => "撤销日期",
        "mobile" => "手机号",
        "unit" | "unit_id" => "工作单位",
        "migrant" => "农民工",
        "nef_group" => "新就业形态群体",
        "uscc" => "统一社会信用代码",
        "ownership" => "经济类型",
        "small_micro" => "小微企业",
        "employee_count" => "职工数",
        "position" => "职务",
        "since" => "任职日期",
        "to_org" => "转入工会",
        "from_org" => "转出工会",
        "on" => "日期",
        "note" => "说明",
        "reason" => "事由",
        "rows" => "行数",
        "format" => "格式",
        "file_name" | "file" => "文件",
        "rows_total" => "总行数",
        "rows_invalid" => "有误行数",
        "inserted" => "新增",
        "updated" => "更新",
        "unchanged" => "未变",
        "dry_run" => "仅校验",
        "skip_invalid" => "跳过有误行",
        "committed" => "已写入",
        "permissions" => "权限",
        "expires_at" => "有效期至",
        "joined_on" => "入会日期",
        "id_number" => "身份证号",
        "event" => "事项",
        "via" => "途径",
        "sessions_ended" => "结束的登录",
        "next" => "下一步",
        "problems" => "问题数",
        "ok" => "结果",
        "from_seq" => "起始序号",
        "upto_seq" => "截止序号",
        "locked" => "锁定",
        other => other,
    }
}

/// A coded value in words.
fn value_text(key: &str, v: &Value) -> String {
    match v {
        Value::Null => "空".into(),
        Value::Bool(b) => if *b { "是" } else { "否" }.into(),
        Value::Number(n)
            if matches!(
                key,
                "new_employment" | "standardised" | "migrant" | "small_micro"
            ) =>
        {
            if n.as_i64() == Some(1) { "是" } else { "否" }.into()
        }
        Value::Number(n) if key == "expires_at" => n
            .as_i64()
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map(|t| {
                t.with_timezone(&chrono::Local)
                    .format("%Y-%m-%d")
                    .to_string()
            })
            .unwrap_or_else(|| n.to_string()),
        Value::Number(n) => n.to_string(),
        Value::String(s) => coded(key, s)
            .map(str::to_string)
            .unwrap_or_else(|| s.clone()),
        Value::Array(a) => a
            .iter()
            .map(|x| value_text(key, x))
            .collect::<Vec<_>>()
            .join("、"),
        Value::Object(_) => sentence(v),
    }
}

fn coded(key: &str, s: &str) -> Option<&'static str> {
    Some(match (key, s) {
        ("role", r) => crate::auth::permissions::Role::parse(r).ok()?.label(),
        ("status", "active") => "正常",
        ("status", "disabled") => "停用",
        ("status", "pending") => "待核准",
        ("status", "closed") => "已撤销",
        ("status", "finished") => "完成",
        ("status", "failed") => "失败",
        ("kind", k) => match crate::registry::orgs::OrgKind::parse(k) {
            Ok(kind) => kind.label(),
            Err(_) => match k {
                "members" => "会员",
                "orgs" => "工会组织",
                "units" => "用人单位",
                _ => return None,
            },
        },
        ("outcome", "inserted") => "新登记",
        ("outcome", "rejoined") => "重新入会",
        ("outcome", "updated") => "已是会员，更新信息",
        ("outcome", "unchanged") => "已是会员，无变化",
        ("event", "leave") => "离会",
        ("event", "retire") => "退休",
        ("event", "death") => "去世",
        ("via", "console") => "管理台",
        ("via", "api") => "接口",
        ("reason", "unknown_user") => "用户名不存在",
        ("reason", "wrong_password") => "密码错误",
        ("reason", "pending_approval") => "账号待核准",
        ("reason", "disabled") => "账号已停用",
        ("reason", "unknown_role") => "账号没有角色",
        ("reason", "wrong_code") => "动态口令错误",
        ("reason", "replayed") => "动态口令已用过",
        ("next", "totp") => "输入动态口令",
        ("next", "totp_setup") => "绑定动态口令",
        ("next", "password") => "设置新密码",
        ("next", "full") => "进入系统",
        _ => return None,
    })
}

/// Every field of an object as `名称：值`, in the stored order.
fn sentence(v: &Value) -> String {
    match v {
        Value::Object(map) => map
            .iter()
            .filter(|(_, x)| !x.is_null())
            .map(|(k, x)| format!("{}：{}", key_label(k), value_text(k, x)))
            .collect::<Vec<_>>()
            .join("；"),
        other => value_text("", other),
    }
}

/// The details of a row as a sentence.
pub fn describe(action: &str, detail: &Value) -> String {
    let Value::Object(map) = detail else {
        return String::new();
    };
    match action {
        "login.failure" | "login.totp_failure" => {
            let reason = map
                .get("reason")
                .map(|r| value_text("reason", r))
                .unwrap_or_default();
            if map.get("locked").and_then(Value::as_bool) == Some(true) {
                format!("{reason}；失败次数过多，账号已锁定")
            } else {
                reason
            }
        }
        _ if map.contains_key("before") || map.contains_key("after") => {
            let empty = serde_json::Map::new();
            let before = map
                .get("before")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            let after = map
                .get("after")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            let mut parts: Vec<String> = Vec::new();
            for (k, new) in after {
                match before.get(k) {
                    Some(old) if old == new => {}
                    Some(old) => parts.push(format!(
                        "{}：{} → {}",
                        key_label(k),
                        value_text(k, old),
                        value_text(k, new)
                    )),
                    None if new.is_null() => {}
                    None => parts.push(format!("{}：{}", key_label(k), value_text(k, new))),
                }
            }
            let rest: serde_json::Map<String, Value> = map
                .iter()
                .filter(|(k, _)| *k != "before" && *k != "after")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if !rest.is_empty() {
                parts.push(sentence(&Value::Object(rest)));
            }
            if parts.is_empty() {
                "没有改动".into()
            } else {
                parts.join("；")
            }
        }
        "member.enrol" => {
            let outcome = map
                .get("outcome")
                .map(|o| value_text("outcome", o))
                .unwrap_or_default();
            let rest: serde_json::Map<String, Value> = map
                .iter()
                .filter(|(k, _)| *k != "outcome")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            format!("{outcome}；{}", sentence(&Value::Object(rest)))
        }
        "member.reveal" => format!(
            "事由：{}；途径：{}",
            map.get("reason").and_then(Value::as_str).unwrap_or(""),
            map.get("via")
                .map(|v| value_text("via", v))
                .unwrap_or_default()
        ),
        _ => sentence(detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn details_read_as_sentences() {
        assert_eq!(
            describe(
                "login.failure",
                &json!({"reason": "unknown_user", "locked": false})
            ),
            "用户名不存在"
        );
        assert_eq!(
            describe(
                "login.totp_failure",
                &json!({"reason": "wrong_code", "locked": true})
            ),
            "动态口令错误；失败次数过多，账号已锁定"
        );
        assert_eq!(
            describe(
                "account.role",
                &json!({"before": {"username": "a", "role": "officer", "status": "active"},
                        "after": {"username": "a", "role": "cadre", "status": "active"}})
            ),
            "角色：业务经办人 → 工会干部"
        );
        assert_eq!(
            describe(
                "member.event",
                &json!({"event": "retire", "on": "2026-03-01", "org": "U1"})
            ),
            "事项：退休；日期：2026-03-01；工会：U1"
        );
        assert_eq!(
            describe(
                "member.enrol",
                &json!({"outcome": "unchanged", "org": "U1"})
            ),
            "已是会员，无变化；工会：U1"
        );
        assert_eq!(action_label("account.totp_enrol"), "绑定动态口令");
        assert_eq!(action_label("no.such"), "其他操作");
    }
}
