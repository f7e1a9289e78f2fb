//! The shape checks of a custom database's settings — its queries, its
//! HTTP endpoints, its database URL — run when a connection is saved and
//! again when a backend opens. They read only strings, so the options
//! types can run them without depending on the backend configuration.

use super::sql_text::{self, Dialect};

/// The `options.configuration` key holding the SQL kind's database URL.
pub const DATABASE_URL_SETTING: &str = "database_url";
/// The longest query text accepted.
const MAX_QUERY_LEN: usize = 4096;

/// How many parameters each operation's query receives, and which must be
/// used: `login` ($1 = identifier typed), `get_user` ($1 = email), `create`
/// ($1 = id, $2 = email, $3 = argon2id hash, $4 = username or NULL),
/// `verify` ($1 = email), `change_password` ($1 = email, $2 = argon2id hash),
/// `delete` ($1 = id).
pub fn query_params(operation: &str) -> (usize, usize) {
    match operation {
        "create" => (4, 3),
        "change_password" => (2, 2),
        _ => (1, 1),
    }
}

/// Checks one query's shape: one statement, placeholders `$1..$n` of the
/// operation only, the required ones present. The text is read as the
/// server will read it (see [`super::sql_text`]): a `$2b$` inside a string
/// literal is no placeholder. `dialect` is the server's, when the
/// connection's URL is known; otherwise the query must read the same way
/// in both.
pub fn check_query(operation: &str, sql: &str, dialect: Option<Dialect>) -> Result<(), String> {
    if sql.trim().trim_end_matches(';').trim().is_empty() {
        return Err("must not be empty".into());
    }
    if sql.len() > MAX_QUERY_LEN {
        return Err(format!("must be at most {MAX_QUERY_LEN} characters"));
    }
    let dialects = match dialect {
        Some(one) => vec![one],
        None => Dialect::ALL.to_vec(),
    };
    let (max, required) = query_params(operation);
    for each in dialects {
        // Without the URL, say which reading failed.
        let read_as = |message: String| match dialect {
            Some(_) => message,
            None => format!("{message} (read as {})", each.name()),
        };
        let used: Vec<usize> = sql_text::placeholders(sql, each)
            .map_err(read_as)?
            .into_iter()
            .map(|p| p.number)
            .collect();
        if let Some(bad) = used.iter().find(|n| **n == 0 || **n > max) {
            return Err(format!(
                "uses ${bad}, but `{operation}` has {max} parameter(s) ($1..${max})"
            ));
        }
        if let Some(missing) = (1..=required).find(|n| !used.contains(n)) {
            return Err(format!("must use ${missing}"));
        }
    }
    Ok(())
}

/// Checks an HTTP endpoint: `https`, or `http` to a loopback host.
pub fn check_endpoint(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|_| "must be an absolute URL".to_owned())?;
    let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match parsed.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err("must use https (http only for localhost)".into()),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not contain credentials (use configuration.http_secret)".into());
    }
    if parsed.fragment().is_some() {
        return Err("must not contain a fragment".into());
    }
    Ok(())
}

/// Query parameters a database URL may carry. Everything else is refused:
/// `host`, `hostaddr`, `port` and `socket` would move the destination past
/// the guard (a Unix socket reaches the server's own database), and
/// `sslrootcert`, `sslcert`, `sslkey`, `ssl-ca` name files on the server.
const ALLOWED_URL_PARAMETERS: [&str; 9] = [
    "sslmode",
    "ssl-mode",
    "application_name",
    "options",
    "charset",
    "collation",
    "timezone",
    "time-zone",
    "statement-cache-capacity",
];

/// Where a database URL points, and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    /// The URL as parsed, with `mariadb:` spelled `mysql:`.
    pub url: url::Url,
    /// The host name or IP address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    pub mysql: bool,
}

impl DatabaseUrl {
    /// How the server reads query text.
    pub fn dialect(&self) -> Dialect {
        if self.mysql {
            Dialect::MySql
        } else {
            Dialect::Postgres
        }
    }
}

/// Checks a database URL: PostgreSQL or MySQL/MariaDB on a named host.
/// SQLite is refused: a path on Vestibule's own disk is not a customer's
/// database (`sqlite:<data dir>/vestibule.db` is every tenant's store).
pub fn check_database_url(text: &str) -> Result<DatabaseUrl, String> {
    let scheme = text.split_once(':').map(|(s, _)| s).unwrap_or_default();
    let (mysql, default_port) = match scheme.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" => (false, 5432),
        "mysql" | "mariadb" => (true, 3306),
        "sqlite" => {
            return Err(
                "sqlite: URLs are not accepted for custom databases (a file on the \
                 server is not the customer's database); use a postgres://, mysql:// or \
                 mariadb:// URL"
                    .into(),
            );
        }
        _ => return Err("must be a postgres://, mysql:// or mariadb:// URL".into()),
    };
    let normalized = match text.strip_prefix("mariadb:") {
        Some(rest) => format!("mysql:{rest}"),
        None => text.to_owned(),
    };
    let url = url::Url::parse(&normalized).map_err(|_| "is not a valid URL".to_owned())?;
    let host = url
        .host_str()
        .map(|h| h.trim_matches(['[', ']']).to_owned())
        .filter(|h| {
            h.parse::<std::net::IpAddr>().is_ok() || crate::outbound::allow_list::is_host_name(h)
        })
        .ok_or_else(|| "must name the database server's host (no Unix sockets)".to_owned())?;
    if let Some((key, _)) = url
        .query_pairs()
        .find(|(key, _)| !ALLOWED_URL_PARAMETERS.contains(&key.as_ref()))
    {
        return Err(format!(
            "the URL parameter `{key}` is not accepted (allowed: {})",
            ALLOWED_URL_PARAMETERS.join(", ")
        ));
    }
    Ok(DatabaseUrl {
        port: url.port().unwrap_or(default_port),
        host,
        mysql,
        url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_shapes() {
        let check = |operation, sql| check_query(operation, sql, None);
        assert!(check("login", "SELECT id, password_hash FROM u WHERE email = $1").is_ok());
        assert!(
            check(
                "login",
                "SELECT id FROM u WHERE email = $1 OR username = $1;"
            )
            .is_ok()
        );
        assert!(check("login", "SELECT id FROM u WHERE email = $2").is_err());
        assert!(check("login", "SELECT id FROM u").is_err());
        assert!(check("login", "SELECT 1 WHERE $1 = 'x'; DROP TABLE u").is_err());
        assert!(check("create", "INSERT INTO u VALUES ($1, $2, $3)").is_ok());
        assert!(check("create", "INSERT INTO u VALUES ($1, $2, $3, $4)").is_ok());
        assert!(check("create", "INSERT INTO u VALUES ($1, $2)").is_err());
        assert!(check("change_password", "UPDATE u SET h = $2 WHERE e = $1").is_ok());
        assert!(check("delete", "DELETE FROM u WHERE id = $1 AND $0 = 1").is_err());
        assert!(check("delete", "   ").is_err());
        assert!(check("delete", " ; ").is_err());
    }

    #[test]
    fn dollars_in_literals_are_not_placeholders() {
        // `$2` (and `$10`) inside the literal are not `login`'s parameters.
        let login =
            "SELECT id, password_hash FROM u WHERE email = $1 AND password_hash LIKE '$2b$10$%'";
        assert_eq!(check_query("login", login, None), Ok(()));
        // Nor does a literal supply a required placeholder.
        let error = check_query(
            "change_password",
            "UPDATE u SET h = '$2' WHERE e = $1",
            None,
        );
        assert_eq!(error, Err("must use $2".into()));
        // A `;` inside a literal is not a second statement.
        assert!(check_query("login", "SELECT id FROM u WHERE e = $1 AND n <> ';'", None).is_ok());
        // Readings that differ are checked with the server's dialect.
        let mysql_only = r"SELECT id FROM u WHERE e = $1 AND n <> 'it\'s'";
        assert!(check_query("login", mysql_only, Some(Dialect::MySql)).is_ok());
        let error = check_query("login", mysql_only, None).unwrap_err();
        assert!(error.contains("read as PostgreSQL"), "{error}");
        let pg_only = "SELECT id FROM u WHERE e = $1 AND n <> $q$ ' $q$";
        assert!(check_query("login", pg_only, Some(Dialect::Postgres)).is_ok());
        assert!(check_query("login", pg_only, Some(Dialect::MySql)).is_err());
    }

    #[test]
    fn endpoints_and_urls() {
        assert!(check_endpoint("https://users.example.com/login").is_ok());
        assert!(check_endpoint("http://127.0.0.1:8080/login").is_ok());
        assert!(check_endpoint("http://users.example.com/login").is_err());
        assert!(check_endpoint("https://u:p@users.example.com/login").is_err());
        assert!(check_endpoint("ftp://users.example.com").is_err());
        let pg = check_database_url("postgres://u@h/db?sslmode=disable").unwrap();
        assert_eq!((pg.host.as_str(), pg.port, pg.mysql), ("h", 5432, false));
        let maria = check_database_url("mariadb://root@[::1]:3307/db").unwrap();
        assert_eq!(
            (maria.host.as_str(), maria.port, maria.mysql),
            ("::1", 3307, true)
        );
        assert_eq!(maria.url.scheme(), "mysql");
        assert!(check_database_url("redis://h").is_err());
        for refused in [
            "sqlite:/var/lib/vestibule/vestibule.db",
            "sqlite://vestibule.db?mode=rwc",
            "SQLITE:x.db",
        ] {
            let error = check_database_url(refused).unwrap_err();
            assert!(
                error.contains("sqlite: URLs are not accepted"),
                "{refused}: {error}"
            );
        }
        for (url, why) in [
            ("postgres:///db", "host"),
            ("postgres://u@%2Fvar%2Frun%2Fpostgresql/db", "host"),
            ("postgres://u@h/db?host=/var/run/postgresql", "`host`"),
            ("postgres://u@h/db?hostaddr=127.0.0.1", "`hostaddr`"),
            ("postgres://u@h/db?port=5433", "`port`"),
            ("postgres://u@h/db?sslrootcert=/etc/shadow", "`sslrootcert`"),
            ("mysql://u@h/db?socket=/run/mysqld/mysqld.sock", "`socket`"),
            (
                "mysql://u@h/db?ssl-key=/etc/ssl/private/key.pem",
                "`ssl-key`",
            ),
        ] {
            let error = check_database_url(url).unwrap_err();
            assert!(error.contains(why), "{url}: {error}");
        }
    }
}
