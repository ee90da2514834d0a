//! What every command gets: the core over the chosen database, the output format and the
//! acting admin.

use gasstock_core::Actor;
use gasstock_core::{Gasstock, Store};

use crate::error::CliError;
use crate::output::Format;
use crate::settings::Settings;

#[derive(Debug)]
pub struct Context {
    pub core: Gasstock,
    pub format: Format,
    as_admin: Option<String>,
}

impl Context {
    pub async fn open(settings: &Settings) -> Result<Context, CliError> {
        let store = Store::open_with(&settings.database_url, &settings.store.store_config()).await?;
        Ok(Context { core: Gasstock::new(store), format: settings.format, as_admin: settings.as_admin.clone() })
    }

    /// The admin named by `--as` / `GASSTOCK_ADMIN`.
    pub async fn admin(&self) -> Result<Actor, CliError> {
        match self.as_admin.as_deref().map(str::trim) {
            None | Some("") => Err(CliError::Usage(
                "this command needs an admin: pass --as EMAIL or set GASSTOCK_ADMIN (create one with \
                 `gasstock users create-admin`)"
                    .into(),
            )),
            Some(email) => Ok(self.core.admin_actor(email).await?),
        }
    }

    pub async fn close(&self) {
        self.core.store().close().await;
    }
}
