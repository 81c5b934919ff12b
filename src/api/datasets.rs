//! The datasets the ministry grants to other government bodies: the HTTP face of
//! [`crate::usecases::datasets`].

use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::auth::credentials::Authenticated;
use crate::domain::ids::SeasonId;
use crate::domain::organization::Dataset;
use crate::error::Error;
use crate::state::AppState;
use crate::usecases::datasets::{self, DatasetView};

use super::csv;
use super::extract::path_id;

pub use crate::usecases::datasets::{
    ArrivalRow, DatasetRows, EligibleGroup, HousingRow, TransportRow, VisaEligibilityRow,
};

/// A dataset of a season, for an authority granted it (and the ministry). Rows never hold prices;
/// each read is written to the audit log. Without the grant the dataset does not exist: 404.
#[utoipa::path(
    operation_id = "readDataset",
    tag = "datasets",
    params(
        ("id" = String, Path, description = "Season id"),
        ("dataset" = Dataset, Path, description = "visa_eligibility, arrivals, transport_schedule or housing_registry"),
    ),
    responses((status = 200, description = "The dataset", body = DatasetView))
)]
#[get("/{id}/datasets/{dataset}")]
pub async fn read(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    path: web::Path<(String, Dataset)>,
) -> Result<HttpResponse, Error> {
    let (id, dataset) = path.into_inner();
    let season_id: SeasonId = path_id(&id)?;
    // A read that is audited is written in a transaction with its audit event (R14).
    let view = state
        .write(auth, move |conn, caller| {
            datasets::read(conn, caller, &season_id, dataset)
        })
        .await?;
    if csv::wanted(&req) {
        let (columns, body) = grid(&view.rows);
        return Ok(csv::download(
            csv::text(&columns, &body),
            view.dataset.as_str(),
        ));
    }
    Ok(HttpResponse::Ok().json(view))
}

/// A dataset's rows as a grid of columns and cells: what its CSV holds, and what the console shows.
pub fn grid(rows: &DatasetRows) -> (Vec<String>, Vec<Vec<String>>) {
    match rows {
        DatasetRows::VisaEligibility(rows) => csv::grid(rows),
        DatasetRows::Arrivals(rows) => csv::grid(rows),
        DatasetRows::TransportSchedule(rows) => csv::grid(rows),
        DatasetRows::HousingRegistry(rows) => csv::grid(rows),
    }
}
