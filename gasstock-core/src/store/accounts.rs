//! Accounts and sessions: users, their credentials, and revoked tokens.

use chrono::{DateTime, Utc};

use super::db::{now, on_unique, Record, Sql};
use super::page::select_counted;
use super::row::{Col, Row};
use super::{NewUserRecord, Store};
use crate::commands::PageRequest;
use crate::domain::Role;
use crate::error::Result;
use crate::models::{Paged, User};

pub(super) const USER_COLUMNS: &str = "id, email, name, role, phone, location, created_at";

impl Store {
    /// Fails with `Conflict("duplicate_email")` when the email is taken.
    pub async fn insert_user(&self, user: NewUserRecord) -> Result<User> {
        let insert = Sql::new(format!(
            "INSERT INTO users (email, name, role, phone, location, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {USER_COLUMNS}"
        ))
        .bind(&user.email)
        .bind(user.name)
        .bind(user.role)
        .bind(user.phone)
        .bind(user.location)
        .bind(user.password_hash)
        .bind(now());
        on_unique(self.write_one(insert).await, "duplicate_email", &format!("{} is already registered", user.email))
    }

    /// The user and their password hash.
    pub async fn find_credentials(&self, email: &str) -> Result<Option<(User, String)>> {
        struct WithHash {
            user: User,
            password_hash: String,
        }
        impl Record for WithHash {
            fn decode<R: Row>(row: &R) -> Result<Self> {
                Ok(WithHash { user: User::decode(row)?, password_hash: row.get(Col::Name("password_hash"))? })
            }
        }
        let row: Option<WithHash> = self
            .read_optional(
                Sql::new(format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1")).bind(email),
            )
            .await?;
        Ok(row.map(|row| (row.user, row.password_hash)))
    }

    pub async fn get_user(&self, id: i64) -> Result<Option<User>> {
        self.read_optional(Sql::new(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1")).bind(id)).await
    }

    pub async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        self.read_optional(Sql::new(format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1")).bind(email)).await
    }

    pub async fn list_users(&self, role: Option<Role>, page: PageRequest) -> Result<Paged<User>> {
        self.fetch_page(page, |sql, count_only| {
            select_counted(sql, count_only, USER_COLUMNS, "users WHERE 1 = 1");
            if let Some(role) = role {
                sql.push(" AND role = ").push_bind(role);
            }
            if !count_only {
                sql.push(" ORDER BY id");
            }
        })
        .await
    }

    pub async fn revoke_token(&self, jti: &str, expires_at: DateTime<Utc>) -> Result<()> {
        let revoke =
            Sql::new("INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING")
                .bind(jti)
                .bind(expires_at);
        // Expired tokens are refused by their signature check anyway: forget them.
        let forget = Sql::new("DELETE FROM revoked_tokens WHERE expires_at < $1").bind(now());
        self.write(move |mut conn| {
            Box::pin(async move {
                conn.execute(revoke).await?;
                conn.execute(forget).await.map(drop)
            })
        })
        .await
    }

    pub async fn is_token_revoked(&self, jti: &str) -> Result<bool> {
        // COUNT is BIGINT on both backends (a bare `SELECT 1` is INT4 on PostgreSQL).
        let found: i64 =
            self.read_scalar(Sql::new("SELECT COUNT(*) FROM revoked_tokens WHERE jti = $1").bind(jti)).await?;
        Ok(found > 0)
    }

    /// The ids of every revoked token not yet expired (for a server's revocation cache).
    pub async fn revoked_token_ids(&self) -> Result<Vec<String>> {
        // Expired rows are deleted at each logout; the filter covers the rest.
        let sql = Sql::new("SELECT jti FROM revoked_tokens WHERE expires_at >= $1").bind(now());
        self.read(move |mut conn| Box::pin(async move { conn.fetch_all_scalar(sql).await })).await
    }
}
