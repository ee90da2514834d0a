//! Reading the core's paginated lists to the end (or to a limit) for one listing.

use gasstock_core::commands::PageRequest;
use gasstock_core::models::Paged;

use crate::error::CliError;

/// Every item of a paginated core list.
pub async fn all_pages<T, F, Fut>(fetch: F) -> Result<Vec<T>, CliError>
where
    F: Fn(PageRequest) -> Fut,
    Fut: std::future::Future<Output = gasstock_core::Result<Paged<T>>>,
{
    first(usize::MAX, fetch).await
}

/// The first `limit` items of a paginated core list, in its order.
pub async fn first<T, F, Fut>(limit: usize, fetch: F) -> Result<Vec<T>, CliError>
where
    F: Fn(PageRequest) -> Fut,
    Fut: std::future::Future<Output = gasstock_core::Result<Paged<T>>>,
{
    let mut items = Vec::new();
    for page in 1.. {
        let request = PageRequest::new(Some(page), Some(i64::from(PageRequest::MAX_PER_PAGE)))?;
        let found = fetch(request).await?;
        let done = found.items.len() < request.per_page as usize;
        items.extend(found.items);
        if done || items.len() >= limit || items.len() as i64 >= found.total {
            break;
        }
    }
    items.truncate(limit);
    Ok(items)
}
