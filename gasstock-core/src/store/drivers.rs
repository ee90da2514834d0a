//! Drivers (issue 13): `driver` accounts that belong to one seller.

use super::db::{now, on_unique, Sql};
use super::page::select_counted;
use super::{NewUserRecord, Store};
use crate::commands::PageRequest;
use crate::error::Result;
use crate::models::{Driver, Paged};

pub(super) const DRIVER_COLUMNS: &str = "u.id, u.email, u.name, u.role, u.phone, d.seller_id, d.disabled, u.created_at";
const DRIVER_FROM: &str = "drivers d JOIN users u ON u.id = d.user_id";

impl Store {
    /// Creates the driver's account and ties it to `seller_id`, in one unit.
    /// `Conflict("duplicate_email")` when the email is taken.
    pub async fn insert_driver(&self, user: NewUserRecord, seller_id: i64) -> Result<Driver> {
        let at = now();
        self.write(move |mut conn| {
            Box::pin(async move {
                let insert = Sql::new(
                    "INSERT INTO users (email, name, role, phone, location, password_hash, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(&user.email)
                .bind(user.name)
                .bind(user.role)
                .bind(user.phone)
                .bind(user.location)
                .bind(user.password_hash)
                .bind(at);
                let id: i64 =
                    on_unique(conn.fetch_scalar(insert).await, "duplicate_email", "this email is already registered")?;
                let tie =
                    Sql::new("INSERT INTO drivers (user_id, seller_id, disabled, created_at) VALUES ($1, $2, $3, $4)")
                        .bind(id)
                        .bind(seller_id)
                        .bind(false)
                        .bind(at);
                conn.execute(tie).await?;
                conn.fetch_one(
                    Sql::new(format!("SELECT {DRIVER_COLUMNS} FROM {DRIVER_FROM} WHERE d.user_id = $1")).bind(id),
                )
                .await
            })
        })
        .await
    }

    pub async fn get_driver(&self, id: i64) -> Result<Option<Driver>> {
        self.read_optional(
            Sql::new(format!("SELECT {DRIVER_COLUMNS} FROM {DRIVER_FROM} WHERE d.user_id = $1")).bind(id),
        )
        .await
    }

    /// The seller's drivers, oldest first.
    pub async fn list_drivers(&self, seller_id: i64, page: PageRequest) -> Result<Paged<Driver>> {
        self.fetch_page(page, |sql, count_only| {
            select_counted(sql, count_only, DRIVER_COLUMNS, DRIVER_FROM);
            sql.push(" WHERE d.seller_id = ").push_bind(seller_id);
            if !count_only {
                sql.push(" ORDER BY u.id");
            }
        })
        .await
    }

    /// Disables or enables one of the seller's drivers; `None` when the seller has no such
    /// driver.
    pub async fn set_driver_disabled(&self, id: i64, seller_id: i64, disabled: bool) -> Result<Option<Driver>> {
        self.write(move |mut conn| {
            Box::pin(async move {
                let update = Sql::new("UPDATE drivers SET disabled = $1 WHERE user_id = $2 AND seller_id = $3")
                    .bind(disabled)
                    .bind(id)
                    .bind(seller_id);
                if conn.execute(update).await? == 0 {
                    return Ok(None);
                }
                conn.fetch_optional(
                    Sql::new(format!("SELECT {DRIVER_COLUMNS} FROM {DRIVER_FROM} WHERE d.user_id = $1")).bind(id),
                )
                .await
            })
        })
        .await
    }
}
