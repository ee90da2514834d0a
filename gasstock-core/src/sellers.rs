//! Choosing a seller (issue 13): browse with ratings and distances, a seller's public profile
//! and reviews. Open to every signed-in user, as browsing is.

use crate::commands::browse::BrowseQuery;
use crate::commands::PageRequest;
use crate::error::{Error, Result};
use crate::models::{BrowseItem, Feedback, Paged, SellerProfile};
use crate::Gasstock;

impl Gasstock {
    /// `GET /gas`: what buyers can order, with each seller's rating, nearest first when
    /// `near` names a district.
    pub async fn browse(&self, query: &BrowseQuery, page: PageRequest) -> Result<Paged<BrowseItem>> {
        let filter = query.stock.validate()?;
        let order = query.order()?;
        self.store().browse_stock(filter, order, page).await
    }

    /// `GET /sellers/{id}`: 404 unless `id` is a seller.
    pub async fn seller_profile(&self, id: i64) -> Result<SellerProfile> {
        self.store().seller_profile(id).await?.ok_or_else(|| Error::not_found("seller", id))
    }

    /// `GET /sellers/{id}/feedback`: the seller's reviews, newest first.
    pub async fn seller_reviews(&self, id: i64, page: PageRequest) -> Result<Paged<Feedback>> {
        self.seller_profile(id).await?;
        self.store().seller_feedback(id, page).await
    }
}
